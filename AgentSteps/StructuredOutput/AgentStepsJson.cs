using Newtonsoft.Json;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// The one configured Newtonsoft serializer AgentSteps uses for model output and arguments.
/// Model output is untrusted input: no type-name handling, and a depth cap.
/// </summary>
internal static class AgentStepsJson
{
    /// <summary>The deepest nesting accepted in a model reply.</summary>
    public const int MaxDepth = 64;

    public static readonly JsonSerializerSettings Settings = CreateSettings();

    public static readonly JsonSerializer Serializer = JsonSerializer.Create(Settings);

    /// <summary>Reads model replies strictly (see <see cref="StrictContractResolver"/>); only for reading.</summary>
    public static readonly JsonSerializer ReplySerializer = JsonSerializer.Create(CreateReplySettings());

    public static string Serialize(object? value)
    {
        // The cached serializer: JsonConvert.SerializeObject would build a new one for every call.
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        Serializer.Serialize(writer, value);
        return writer.ToString();
    }

    private static JsonSerializerSettings CreateReplySettings()
    {
        var settings = CreateSettings();
        settings.ContractResolver = new StrictContractResolver();
        settings.MissingMemberHandling = MissingMemberHandling.Error;
        settings.CheckAdditionalContent = true;
        // StrictContractResolver gives every plain value (enums included) a strict converter.
        settings.Converters.Clear();
        return settings;
    }

    private static JsonSerializerSettings CreateSettings()
    {
        var settings = new JsonSerializerSettings
        {
            TypeNameHandling = TypeNameHandling.None,
            MaxDepth = MaxDepth,
            DateParseHandling = DateParseHandling.None,
            MetadataPropertyHandling = MetadataPropertyHandling.Ignore,
            ReferenceLoopHandling = ReferenceLoopHandling.Ignore,
            MissingMemberHandling = MissingMemberHandling.Ignore,
            ContractResolver = AgentStepsContractResolver.Instance,
        };
        settings.Converters.Add(new EnumNameConverter());
        return settings;
    }
}
