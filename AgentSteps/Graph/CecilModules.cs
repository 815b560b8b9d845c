using System.Collections.Concurrent;
using System.Reflection;
using Mono.Cecil;

namespace AgentSteps.Graph;

/// <summary>Reads assemblies with Mono.Cecil once each, and maps methods between Cecil and reflection by metadata token.</summary>
internal static class CecilModules
{
    private static readonly ConcurrentDictionary<Assembly, Lazy<ModuleDefinition?>> s_modules = new();

    public static MethodDefinition? Definition(MethodInfo method)
    {
        var module = For(method.Module.Assembly);
        return module?.LookupToken(method.MetadataToken) as MethodDefinition;
    }

    public static MethodInfo? Reflect(MethodDefinition definition)
    {
        var name = definition.Module.Assembly.Name.FullName;
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.FullName == name);
        try
        {
            assembly ??= Assembly.Load(new AssemblyName(name));
            return assembly.ManifestModule.ResolveMethod(definition.MetadataToken.ToInt32()) as MethodInfo;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            return null;
        }
    }

    private static ModuleDefinition? For(Assembly assembly) =>
        s_modules.GetOrAdd(assembly, static a => new Lazy<ModuleDefinition?>(() => Read(a))).Value;

    private static ModuleDefinition? Read(Assembly assembly)
    {
        if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location) || !File.Exists(assembly.Location))
        {
            return null;
        }

        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(assembly.Location)!);
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var parameters = new ReaderParameters { AssemblyResolver = resolver, InMemory = true, ReadSymbols = false };
        return AssemblyDefinition.ReadAssembly(assembly.Location, parameters).MainModule;
    }
}
