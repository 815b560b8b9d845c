namespace AgentSteps;

/// <summary>The image formats <see cref="StepGraph.Render(string, GraphImageFormat)"/> writes through Graphviz.</summary>
public enum GraphImageFormat
{
    /// <summary>A PNG bitmap.</summary>
    Png,

    /// <summary>An SVG drawing.</summary>
    Svg,
}
