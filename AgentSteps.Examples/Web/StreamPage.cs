namespace AgentSteps.Examples.Web;

/// <summary>
/// The page at <c>GET /</c>: asks <c>POST /recipes/stream</c> for a recipe and shows it appearing as the model writes it
/// (each <c>model-text</c> event's partial JSON, fields filled as they arrive), with the steps as they start and end.
/// </summary>
/// <remarks>
/// It reads the stream with <c>fetch</c> rather than <c>EventSource</c>, which can only send a GET: the endpoint takes a
/// JSON POST so that another site cannot make a browser spend tokens. Model text is put in the page as text, never as HTML.
/// </remarks>
public static class StreamPage
{
    public const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>AgentSteps: a recipe as it streams</title>
        <style>
          body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; display: grid; grid-template-columns: 2fr 1fr; gap: 2rem; }
          header { grid-column: 1 / -1; }
          input { width: 20rem; padding: .3rem; }
          #steps li { list-style: none; font-family: monospace; }
          #steps .running::before { content: "→ "; color: #b80; }
          #steps .done::before { content: "✓ "; color: #080; }
          #steps .failed::before { content: "✗ "; color: #b00; }
          #recipe.streaming { color: #555; }
          #status { color: #555; }
        </style>
        </head>
        <body>
        <header>
          <h1>Recipe</h1>
          <form id="ask"><input id="query" value="chicken parmesan" aria-label="What to cook"> <button>Cook</button> <span id="status"></span></form>
        </header>
        <main id="recipe">
          <p id="description"></p>
          <h2>Ingredients</h2><ul id="ingredients"></ul>
          <h2>Instructions</h2><ol id="instructions"></ol>
          <h2>Tips</h2><ul id="tips"></ul>
        </main>
        <aside><h2>Steps</h2><ul id="steps"></ul></aside>
        <script>
        const $ = id => document.getElementById(id);
        const field = (o, name) => o[name] ?? o[name[0].toUpperCase() + name.slice(1)];

        function fill(list, items) {
          list.replaceChildren(...(Array.isArray(items) ? items : []).map(item => {
            const li = document.createElement("li");
            li.textContent = typeof item === "string" ? item : JSON.stringify(item);
            return li;
          }));
        }

        function showRecipe(recipe) {
          if (!recipe || typeof recipe !== "object") return;
          const description = field(recipe, "description");
          if (description === undefined && field(recipe, "ingredients") === undefined) return; // not a recipe (a validation)
          $("description").textContent = description ?? "";
          fill($("ingredients"), field(recipe, "ingredients"));
          fill($("instructions"), field(recipe, "instructions"));
          fill($("tips"), field(recipe, "tips"));
        }

        const handlers = {
          "step-started": e => {
            const li = document.createElement("li");
            li.id = "step-" + e.key;
            li.className = "running";
            li.textContent = e.key;
            $("steps").append(li);
          },
          "step-completed": e => {
            const li = document.getElementById("step-" + e.key);
            if (!li) return;
            li.className = e.succeeded ? "done" : "failed";
            const tokens = (e.inputTokens ?? 0) + (e.outputTokens ?? 0);
            li.textContent = `${e.key} ${(e.durationMs / 1000).toFixed(1)} s` + (tokens ? `, ${tokens} tokens` : "") + (e.error ? ` (${e.error})` : "");
          },
          "model-text": e => {
            if (e.partialJson === null || e.partialJson === undefined) return;
            try { showRecipe(JSON.parse(e.partialJson)); } catch { /* a document that does not parse is skipped; the next one holds all the text */ }
          },
          "tool-call": e => $("status").textContent = `${e.name} calls ${e.tool}`,
          "result": recipe => { showRecipe(recipe); $("recipe").classList.remove("streaming"); },
          "error": e => $("status").textContent = e.message,
          "run-completed": () => { if (!$("status").textContent.startsWith("Step")) $("status").textContent = "done"; },
        };

        // One server-sent event: "event: name" and "data: json" lines, ended by a blank line.
        function dispatch(block) {
          let name = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) name = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data && handlers[name]) handlers[name](JSON.parse(data));
        }

        $("ask").addEventListener("submit", async submit => {
          submit.preventDefault();
          $("steps").replaceChildren();
          showRecipe({ description: "", ingredients: [], instructions: [], tips: [] });
          $("recipe").classList.add("streaming");
          $("status").textContent = "cooking…";
          const response = await fetch("recipes/stream", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ query: $("query").value }),
          });
          if (!response.ok) { $("status").textContent = (await response.json()).detail; return; }
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
          }
        });
        </script>
        </body>
        </html>
        """;
}
