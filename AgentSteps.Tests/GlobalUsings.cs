global using AgentSteps;
global using Microsoft.Extensions.AI;
global using Microsoft.Extensions.DependencyInjection;
global using NUnit.Framework;
global using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;
global using AgentSteps.Tests.TestDoubles;
