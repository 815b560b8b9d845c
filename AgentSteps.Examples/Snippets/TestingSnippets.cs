using AgentSteps.Examples.Recipes;
using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/testing.md, compiled so that it stays true.</summary>
public static class TestingSnippets
{
    public static Recipe Sample()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var recipe = Steps.Create<RecipeWorkflow>().CreateRecipe("chicken parmesan");
        return recipe;
    }

    public static ScriptedChatClient Scripted()
    {
        var client = new ScriptedChatClient("{not json", """{"IsValid":true,"Reason":null}""");
        client.Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "")) { FinishReason = ChatFinishReason.Length });
        client.Enqueue(_ => throw new HttpRequestException("down"));
        return client;
    }

    public static ScriptedChatClient ToolCalls()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCall("SearchRecipesAsync", """{"query":"leek"}""")                  // one call
            .EnqueueToolCalls(("Taste", """{"dish":"a"}"""), ("Taste", """{"dish":"b"}"""))  // two calls in one reply
            .Enqueue("""{"Dish":"soup","Steps":["boil"]}""");                               // then the answer
        return client;
    }
}
