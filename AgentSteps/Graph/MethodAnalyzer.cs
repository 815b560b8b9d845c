using System.Reflection;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace AgentSteps.Graph;

/// <summary>
/// Reads one method's IL, as the C# compiler emits it, and finds the steps it calls: following async state machines
/// (<c>MoveNext</c>), lambdas and local functions (closure classes); deciding per called step whether some path from
/// the method's entry to its exit skips every call of it (on the control-flow graph); and which step results flow into
/// each call (an abstract interpretation of the evaluation stack, locals and fields).
/// </summary>
internal sealed class MethodAnalyzer
{
    private const string StateField = "<>1__state";

    private readonly Func<MethodReference, MethodInfo?> _stepOf;
    private readonly Dictionary<MethodDefinition, List<StepCall>> _helpers = [];
    private readonly HashSet<MethodDefinition> _inProgress = [];

    /// <param name="stepOf">Maps a called method to the step it runs (after virtual dispatch), or null when it is no step.</param>
    public MethodAnalyzer(Func<MethodReference, MethodInfo?> stepOf) => _stepOf = stepOf;

    /// <summary>Returns the steps <paramref name="method"/> calls, in IL order.</summary>
    public List<StepCall> Analyze(MethodDefinition method)
    {
        if (!_inProgress.Add(method))
        {
            return []; // A recursive local function: its calls are already being counted.
        }

        try
        {
            return AnalyzeBody(method);
        }
        finally
        {
            _inProgress.Remove(method);
        }
    }

    private static MethodDefinition EffectiveBody(MethodDefinition method)
    {
        // An async method's or iterator's body lives in its state machine's MoveNext.
        foreach (var attribute in method.CustomAttributes)
        {
            var name = attribute.AttributeType.FullName;
            if ((name == "System.Runtime.CompilerServices.AsyncStateMachineAttribute" ||
                 name == "System.Runtime.CompilerServices.IteratorStateMachineAttribute" ||
                 name == "System.Runtime.CompilerServices.AsyncIteratorStateMachineAttribute") &&
                attribute.ConstructorArguments.Count == 1 &&
                attribute.ConstructorArguments[0].Value is TypeReference machine &&
                machine.Resolve()?.Methods.FirstOrDefault(m => m.Name == "MoveNext") is { HasBody: true } moveNext)
            {
                return moveNext;
            }
        }

        return method;
    }

    private static bool IsHelper(MethodDefinition caller, MethodDefinition callee)
    {
        // Lambdas, local functions and their closure classes: compiler-generated, named '<...>', inside the caller's type.
        if (!callee.HasBody || !callee.Name.StartsWith('<'))
        {
            return false;
        }

        var outer = caller.DeclaringType;
        while (outer.IsNested && outer.Name.StartsWith('<'))
        {
            outer = outer.DeclaringType;
        }

        for (var type = callee.DeclaringType; type is not null; type = type.DeclaringType)
        {
            if (type == outer)
            {
                return true;
            }
        }

        return false;
    }

    private List<StepCall> AnalyzeBody(MethodDefinition method)
    {
        var body = EffectiveBody(method);
        if (!body.HasBody)
        {
            return [];
        }

        var instructions = body.Body.Instructions;
        var cfg = new ControlFlow(body, instructions);

        // Direct step calls, and helpers (local functions called directly, lambdas taken as delegates).
        var calls = new Dictionary<MethodInfo, StepCall>(MethodHandleComparer.Instance);
        var directSites = new List<(int Index, MethodInfo Step)>();
        var helperSites = new List<(int Index, List<StepCall> Calls, bool AsDelegate)>();
        for (int i = 0; i < instructions.Count; i++)
        {
            var instruction = instructions[i];
            if (instruction.Operand is not MethodReference callee)
            {
                continue;
            }

            var code = instruction.OpCode.Code;
            bool isCall = code is Code.Call or Code.Callvirt;
            bool isDelegate = code is Code.Ldftn or Code.Ldvirtftn;
            if (!isCall && !isDelegate)
            {
                continue;
            }

            if (callee.Name.StartsWith('<') && callee.Resolve() is { } helper && IsHelper(method, helper))
            {
                helperSites.Add((i, Analyze(helper), isDelegate));
                continue;
            }

            if (isCall && _stepOf(callee) is { } step)
            {
                directSites.Add((i, step));
                if (!calls.ContainsKey(step))
                {
                    calls[step] = new StepCall(step, i * 1000);
                }
            }
        }

        foreach (var (index, helperCalls, _) in helperSites)
        {
            foreach (var inner in helperCalls)
            {
                if (!calls.TryGetValue(inner.Step, out var call))
                {
                    calls[inner.Step] = call = new StepCall(inner.Step, (index * 1000) + (inner.Order / 1000));
                }

                call.Inputs.UnionWith(inner.Inputs);
            }
        }

        // Conditional: some path from entry to exit avoids every block that surely runs the step.
        foreach (var call in calls.Values)
        {
            var blocking = new HashSet<int>();
            foreach (var (index, step) in directSites)
            {
                if (MethodHandleComparer.Instance.Equals(step, call.Step) && cfg.AnchorBlock(index) is int block)
                {
                    blocking.Add(block);
                }
            }

            foreach (var (index, helperCalls, asDelegate) in helperSites)
            {
                // A delegate may never be invoked; a local function call runs what it surely runs.
                if (!asDelegate && helperCalls.Exists(c => !c.IsConditional && MethodHandleComparer.Instance.Equals(c.Step, call.Step)) &&
                    cfg.AnchorBlock(index) is int block)
                {
                    blocking.Add(block);
                }
            }

            call.IsConditional = cfg.ExitReachableAvoiding(blocking);
        }

        new StackFlow(body, instructions, cfg, _stepOf, calls).Run();
        return calls.Values.OrderBy(c => c.Order).ToList();
    }

    /// <summary>The basic blocks and normal-flow edges of a method body, with the compiler's async plumbing removed.</summary>
    internal sealed class ControlFlow
    {
        private readonly IList<Instruction> _instructions;
        private readonly Dictionary<Instruction, int> _index = [];
        private readonly int[] _blockOf;
        private readonly List<int> _blockStarts = [];
        private readonly List<List<int>> _successors = [];
        private readonly HashSet<int> _exits = [];
        private readonly int?[] _anchor;
        private readonly int _stateLocal = -1;

        public ControlFlow(MethodDefinition method, IList<Instruction> instructions)
        {
            _instructions = instructions;
            for (int i = 0; i < instructions.Count; i++)
            {
                _index[instructions[i]] = i;
                if (_stateLocal < 0 && instructions[i].Operand is FieldReference { Name: StateField } && i + 1 < instructions.Count &&
                    LocalIndex(instructions[i + 1], store: true) is int local)
                {
                    _stateLocal = local;
                }
            }

            var leader = new bool[instructions.Count + 1];
            leader[0] = true;
            for (int i = 0; i < instructions.Count; i++)
            {
                var instruction = instructions[i];
                switch (instruction.OpCode.FlowControl)
                {
                    case FlowControl.Branch:
                    case FlowControl.Cond_Branch:
                    case FlowControl.Return:
                    case FlowControl.Throw:
                        leader[i + 1] = true;
                        foreach (var target in Targets(instruction))
                        {
                            leader[_index[target]] = true;
                        }

                        break;
                }
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                foreach (var boundary in new[] { handler.TryStart, handler.TryEnd, handler.HandlerStart, handler.HandlerEnd, handler.FilterStart })
                {
                    if (boundary is not null)
                    {
                        leader[_index[boundary]] = true;
                    }
                }
            }

            _blockOf = new int[instructions.Count];
            for (int i = 0; i < instructions.Count; i++)
            {
                if (leader[i])
                {
                    _blockStarts.Add(i);
                }

                _blockOf[i] = _blockStarts.Count - 1;
            }

            for (int b = 0; b < _blockStarts.Count; b++)
            {
                int last = (b + 1 < _blockStarts.Count ? _blockStarts[b + 1] : instructions.Count) - 1;
                _successors.Add(Successors(last));
            }

            // A call in a finally block runs whenever its try block is entered; one in a catch or filter only on an exception.
            _anchor = new int?[instructions.Count];
            for (int i = 0; i < instructions.Count; i++)
            {
                _anchor[i] = _blockOf[i];
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                int start = _index[handler.FilterStart ?? handler.HandlerStart];
                int end = handler.HandlerEnd is null ? instructions.Count : _index[handler.HandlerEnd];
                for (int i = start; i < end; i++)
                {
                    _anchor[i] = handler.HandlerType is ExceptionHandlerType.Finally or ExceptionHandlerType.Fault
                        ? _anchor[_index[handler.TryStart]]
                        : null;
                }
            }
        }

        public int? AnchorBlock(int instruction) => _anchor[instruction];

        public bool IsLeader(int instruction) => _blockStarts.BinarySearch(instruction) >= 0;

        public int IndexOf(Instruction instruction) => _index[instruction];

        /// <summary>Whether a path from the entry reaches a return without passing through <paramref name="blocked"/>.</summary>
        public bool ExitReachableAvoiding(HashSet<int> blocked)
        {
            if (blocked.Contains(0))
            {
                return false;
            }

            var seen = new bool[_blockStarts.Count];
            var work = new Stack<int>();
            work.Push(0);
            seen[0] = true;
            while (work.Count > 0)
            {
                int block = work.Pop();
                if (_exits.Contains(block))
                {
                    return true;
                }

                foreach (var next in _successors[block])
                {
                    if (!seen[next] && !blocked.Contains(next))
                    {
                        seen[next] = true;
                        work.Push(next);
                    }
                }
            }

            return false;
        }

        /// <summary>Gets where a branch really goes, leaving out the async plumbing's suspend and resume edges.</summary>
        public IEnumerable<Instruction> LogicalTargets(Instruction branch, out bool fallsThrough)
        {
            fallsThrough = branch.OpCode.FlowControl == FlowControl.Cond_Branch;
            if (branch.OpCode.FlowControl != FlowControl.Cond_Branch)
            {
                return Targets(branch);
            }

            if (IsStateDispatch(branch))
            {
                // A fresh run starts in state -1: the dispatch to resume points is not taken.
                return [];
            }

            if (branch.Previous?.Operand is MethodReference { Name: "get_IsCompleted" })
            {
                // Awaiting: the code after the await runs next, whether or not the task had completed.
                bool jumpsWhenCompleted = branch.OpCode.Code is Code.Brtrue or Code.Brtrue_S;
                fallsThrough = !jumpsWhenCompleted;
                return jumpsWhenCompleted ? Targets(branch) : [];
            }

            return Targets(branch);
        }

        private static Instruction[] Targets(Instruction instruction) => instruction.Operand switch
        {
            Instruction target => [target],
            Instruction[] targets => targets,
            _ => [],
        };

        private List<int> Successors(int last)
        {
            var instruction = _instructions[last];
            var result = new List<int>();
            switch (instruction.OpCode.FlowControl)
            {
                case FlowControl.Return:
                    _exits.Add(_blockOf[last]);
                    break;
                case FlowControl.Throw:
                    break;
                case FlowControl.Branch:
                case FlowControl.Cond_Branch:
                    var targets = LogicalTargets(instruction, out bool fallsThrough);
                    foreach (var target in targets)
                    {
                        result.Add(_blockOf[_index[target]]);
                    }

                    if (fallsThrough && last + 1 < _instructions.Count)
                    {
                        result.Add(_blockOf[last + 1]);
                    }

                    break;
                default:
                    if (instruction.OpCode.Code is not (Code.Endfinally or Code.Endfilter) && last + 1 < _instructions.Count)
                    {
                        result.Add(_blockOf[last + 1]);
                    }

                    break;
            }

            return result;
        }

        private bool IsStateDispatch(Instruction branch)
        {
            var previous = branch.Previous;
            for (int skipped = 0; previous is not null && skipped < 3; skipped++, previous = previous.Previous)
            {
                if (previous.Operand is FieldReference { Name: StateField } || (_stateLocal >= 0 && LocalIndex(previous, store: false) == _stateLocal))
                {
                    return true;
                }

                if (previous.OpCode.Code is not (Code.Ldc_I4 or Code.Ldc_I4_S or Code.Ldc_I4_0 or Code.Ldc_I4_1 or Code.Ldc_I4_2 or Code.Ldc_I4_3 or Code.Ldc_I4_4 or Code.Ldc_I4_5 or Code.Ldc_I4_6 or Code.Ldc_I4_7 or Code.Ldc_I4_8 or Code.Ldc_I4_M1 or Code.Sub))
                {
                    return false;
                }
            }

            return false;
        }

        internal static int? LocalIndex(Instruction instruction, bool store) => instruction.OpCode.Code switch
        {
            Code.Stloc_0 when store => 0,
            Code.Stloc_1 when store => 1,
            Code.Stloc_2 when store => 2,
            Code.Stloc_3 when store => 3,
            Code.Stloc or Code.Stloc_S when store => ((VariableDefinition)instruction.Operand).Index,
            Code.Ldloc_0 when !store => 0,
            Code.Ldloc_1 when !store => 1,
            Code.Ldloc_2 when !store => 2,
            Code.Ldloc_3 when !store => 3,
            Code.Ldloc or Code.Ldloc_S or Code.Ldloca or Code.Ldloca_S when !store => ((VariableDefinition)instruction.Operand).Index,
            _ => null,
        };
    }
}
