using System.Reflection;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace AgentSteps.Graph;

/// <summary>
/// Finds which step results flow into each step call: one pass over the IL in order, tracking for every stack slot,
/// local and field the set of steps whose results it may hold. A store replaces what a local or field held (IL order
/// follows source order in compiler output, and an async method's awaiter fields are reused from await to await).
/// </summary>
internal sealed class StackFlow(
    MethodDefinition method,
    IList<Instruction> instructions,
    MethodAnalyzer.ControlFlow cfg,
    Func<MethodReference, MethodInfo?> stepOf,
    Dictionary<MethodInfo, StepCall> calls)
{
    private readonly Dictionary<int, List<Sources>> _pending = [];
    private readonly Dictionary<int, Sources> _locals = [];
    private readonly Dictionary<string, Sources> _fields = new(StringComparer.Ordinal);
    private List<Sources> _stack = [];

    public void Run()
    {
        var handlerStarts = new Dictionary<Instruction, bool>();
        foreach (var handler in method.Body.ExceptionHandlers)
        {
            handlerStarts[handler.HandlerStart] = handler.HandlerType is ExceptionHandlerType.Catch or ExceptionHandlerType.Filter;
            if (handler.FilterStart is not null)
            {
                handlerStarts[handler.FilterStart] = true;
            }
        }

        bool reachable = true;
        for (int i = 0; i < instructions.Count; i++)
        {
            var instruction = instructions[i];
            if (handlerStarts.TryGetValue(instruction, out bool hasException))
            {
                _stack = hasException ? [Sources.None] : [];
                reachable = true;
            }
            else if (_pending.Remove(i, out var incoming))
            {
                _stack = reachable ? Merge(_stack, incoming) : incoming;
                reachable = true;
            }
            else if (!reachable)
            {
                _stack = [];
                reachable = true;
            }

            Apply(instruction);

            switch (instruction.OpCode.FlowControl)
            {
                case FlowControl.Branch:
                    foreach (var target in cfg.LogicalTargets(instruction, out _))
                    {
                        Remember(cfg.IndexOf(target));
                    }

                    reachable = false;
                    break;
                case FlowControl.Cond_Branch:
                    foreach (var target in cfg.LogicalTargets(instruction, out _))
                    {
                        Remember(cfg.IndexOf(target));
                    }

                    break;
                case FlowControl.Return:
                case FlowControl.Throw:
                    reachable = false;
                    break;
            }
        }
    }

    private static List<Sources> Merge(List<Sources> a, List<Sources> b)
    {
        if (a.Count != b.Count)
        {
            return a.Count >= b.Count ? a : b;
        }

        var merged = new List<Sources>(a.Count);
        for (int i = 0; i < a.Count; i++)
        {
            merged.Add(a[i].Union(b[i]));
        }

        return merged;
    }

    private void Remember(int target)
    {
        if (target <= 0)
        {
            return;
        }

        _pending[target] = _pending.TryGetValue(target, out var existing) ? Merge(existing, _stack) : [.. _stack];
    }

    private Sources Pop()
    {
        if (_stack.Count == 0)
        {
            return Sources.None;
        }

        var top = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return top;
    }

    private Sources PopMany(int count)
    {
        var union = Sources.None;
        for (int i = 0; i < count; i++)
        {
            union = union.Union(Pop());
        }

        return union;
    }

    private void Apply(Instruction instruction)
    {
        var code = instruction.OpCode.Code;
        if (MethodAnalyzer.ControlFlow.LocalIndex(instruction, store: true) is int stored)
        {
            _locals[stored] = Pop();
            return;
        }

        if (MethodAnalyzer.ControlFlow.LocalIndex(instruction, store: false) is int loaded)
        {
            _stack.Add(_locals.GetValueOrDefault(loaded, Sources.None));
            return;
        }

        switch (code)
        {
            case Code.Call:
            case Code.Callvirt:
            case Code.Newobj:
                var callee = (MethodReference)instruction.Operand;
                int pops = callee.Parameters.Count + (callee.HasThis && !callee.ExplicitThis && code != Code.Newobj ? 1 : 0);
                var arguments = PopMany(pops);
                bool returns = code == Code.Newobj || callee.ReturnType.MetadataType != MetadataType.Void;
                if (code != Code.Newobj && stepOf(callee) is { } step)
                {
                    if (calls.TryGetValue(step, out var call))
                    {
                        call.Inputs.UnionWith(arguments.Steps);
                    }

                    if (returns)
                    {
                        _stack.Add(Sources.Of(step));
                    }
                }
                else if (returns)
                {
                    _stack.Add(arguments);
                }

                return;
            case Code.Calli:
                var site = (CallSite)instruction.Operand;
                var pointed = PopMany(site.Parameters.Count + (site.HasThis ? 2 : 1));
                if (site.ReturnType.MetadataType != MetadataType.Void)
                {
                    _stack.Add(pointed);
                }

                return;
            case Code.Ldfld:
            case Code.Ldflda:
                Pop();
                _stack.Add(_fields.GetValueOrDefault(((FieldReference)instruction.Operand).FullName, Sources.None));
                return;
            case Code.Ldsfld:
            case Code.Ldsflda:
                _stack.Add(_fields.GetValueOrDefault(((FieldReference)instruction.Operand).FullName, Sources.None));
                return;
            case Code.Stfld:
                var value = Pop();
                Pop();
                _fields[((FieldReference)instruction.Operand).FullName] = value;
                return;
            case Code.Stsfld:
                _fields[((FieldReference)instruction.Operand).FullName] = Pop();
                return;
            case Code.Dup:
                _stack.Add(_stack.Count > 0 ? _stack[^1] : Sources.None);
                return;
            case Code.Ret:
                if (method.ReturnType.MetadataType != MetadataType.Void)
                {
                    Pop();
                }

                return;
        }

        var popped = instruction.OpCode.StackBehaviourPop switch
        {
            StackBehaviour.Pop0 => Sources.None,
            StackBehaviour.PopAll => ClearAll(),
            StackBehaviour.Pop1 or StackBehaviour.Popi or StackBehaviour.Popref => PopMany(1),
            StackBehaviour.Pop1_pop1 or StackBehaviour.Popi_pop1 or StackBehaviour.Popi_popi or StackBehaviour.Popi_popi8 or
                StackBehaviour.Popi_popr4 or StackBehaviour.Popi_popr8 or StackBehaviour.Popref_pop1 or StackBehaviour.Popref_popi => PopMany(2),
            StackBehaviour.Popi_popi_popi or StackBehaviour.Popref_popi_popi or StackBehaviour.Popref_popi_popi8 or StackBehaviour.Popref_popi_popr4 or
                StackBehaviour.Popref_popi_popr8 or StackBehaviour.Popref_popi_popref => PopMany(3),
            _ => Sources.None,
        };

        int pushes = instruction.OpCode.StackBehaviourPush switch
        {
            StackBehaviour.Push0 => 0,
            StackBehaviour.Push1_push1 => 2,
            _ => 1,
        };

        for (int i = 0; i < pushes; i++)
        {
            _stack.Add(popped);
        }
    }

    private Sources ClearAll()
    {
        _stack.Clear();
        return Sources.None;
    }

    /// <summary>An immutable set of steps whose results a value may hold.</summary>
    private sealed class Sources
    {
        public static readonly Sources None = new([]);

        private Sources(MethodInfo[] steps) => Steps = steps;

        public MethodInfo[] Steps { get; }

        public static Sources Of(MethodInfo step) => new([step]);

        public Sources Union(Sources other)
        {
            if (other.Steps.Length == 0 || ReferenceEquals(this, other))
            {
                return this;
            }

            if (Steps.Length == 0)
            {
                return other;
            }

            return new Sources(Steps.Union(other.Steps, MethodHandleComparer.Instance).ToArray());
        }
    }
}
