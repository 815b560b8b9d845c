using System.Globalization;
using System.Text.Json;
using AgentSteps.Inspection;
using AgentSteps.Tools;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// The tool benchmarks again, timed by the process's CPU time rather than the wall clock, so that other work on the
/// machine does not inflate them; then the parts of a tool call on their own, through AgentSteps' internals, to say which
/// part costs what. Each case runs in rounds interleaved with the others, after a warm-up past tiered JIT; the figure is
/// the median round.
/// </summary>
public static class ToolCpuHarness
{
    public static void Run(int iterations, int rounds, TextWriter output)
    {
        var bench = new ToolCallBenchmarks();
        bench.Setup();

        // The parts, with the same inputs as the benchmarks' calls.
        var workflow = WorkflowInspector.Inspect(typeof(ToolWorkflow));
        var llmStep = workflow.Find(typeof(ToolWorkflow).GetMethod(nameof(ToolWorkflow.AnswerWithStepToolAsync))!)!;
        var stepTool = (StepTool)ToolSet.Create(llmStep, []).Find(nameof(ToolWorkflow.Add))!;
        var function = AIFunctionFactory.Create((int a, int b) => a + b, ToolCallBenchmarks.FunctionName, "Adds two numbers.");
        var externalTool = ExternalTool.For(function);
        var call = new ToolCallingChatClient(ToolCallBenchmarks.FunctionName).CallOf(ToolCallBenchmarks.FunctionName);
        var dictionaryInfo = AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>));
        string json = JsonSerializer.Serialize(call.Arguments, dictionaryInfo);
        if (!stepTool.Arguments.TryParse(json, out var parsed, out _))
        {
            throw new InvalidOperationException($"The step tool's arguments {json} do not parse.");
        }

        var cases = new (string Name, Func<object?> Run)[]
        {
            ("(a) LLM step + code step called from code", () => bench.LlmThenStep().GetAwaiter().GetResult()),
            ("(b) LLM step calling the code step as a tool", () => bench.LlmWithStepTool().GetAwaiter().GetResult()),
            ("(a) LLM step + AIFunction invoked from code", () => bench.LlmThenFunction().GetAwaiter().GetResult()),
            ("(b) LLM step calling the AIFunction as a tool", () => bench.LlmWithFunctionTool().GetAwaiter().GetResult()),
            ("LLM step alone", () => bench.LlmAlone().GetAwaiter().GetResult()),
            ("Code step alone (with its Runtime)", () => bench.StepAlone()),
            ("Part: the call's arguments written as JSON", () => JsonSerializer.Serialize(call.Arguments, dictionaryInfo)),
            ("Part: step tool, arguments read and validated", () => stepTool.Arguments.TryParse(json, out _, out _)),
            ("Part: step tool, argument array", () => stepTool.ArgumentArray(parsed!, default)),
            ("Part: step tool, result as text (an int)", () => ToolRound.StepResultText(5)),
            ("Part: external tool, arguments checked against its schema", () => externalTool.Validate(call.Arguments, json)),
            ("Part: external tool, trace argument array", () => externalTool.ArgumentArray(call.Arguments)),
            ("Part: AIFunction.InvokeAsync", () => function.InvokeAsync(new AIFunctionArguments(call.Arguments)).AsTask().GetAwaiter().GetResult()),
        };

        // Warm-up: past tiered JIT's second tier for every path.
        for (int w = 0; w < 3; w++)
        {
            foreach (var (_, run) in cases)
            {
                for (int i = 0; i < Math.Max(iterations / 4, 200); i++)
                {
                    run();
                }
            }

            Thread.Sleep(200);
        }

        var times = cases.Select(_ => new List<double>()).ToArray();
        var bytes = new long[cases.Length];
        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < cases.Length; c++)
            {
                var run = cases[c].Run;
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                var cpu = Environment.CpuUsage.TotalTime;
                for (int i = 0; i < iterations; i++)
                {
                    run();
                }

                times[c].Add((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / iterations);
                bytes[c] = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
            }
        }

        output.WriteLine($"Tool calls by CPU time: {iterations:N0} calls a round, median of {rounds} rounds, {Environment.ProcessorCount} cores.");
        output.WriteLine("| Case | CPU per call (µs) | Allocated (B) |");
        output.WriteLine("| --- | ---: | ---: |");
        for (int c = 0; c < cases.Length; c++)
        {
            var sorted = times[c].Order().ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {cases[c].Name} | {sorted[sorted.Count / 2]:N2} | {bytes[c]:N0} |"));
        }

        double Median(int c) => times[c].Order().ElementAt(times[c].Count / 2);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Step tool call overhead (b - a): {Median(1) - Median(0):N2} µs, {bytes[1] - bytes[0]:N0} B"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"External function call overhead (b - a): {Median(3) - Median(2):N2} µs, {bytes[3] - bytes[2]:N0} B"));
    }
}
