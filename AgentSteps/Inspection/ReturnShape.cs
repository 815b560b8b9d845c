using System.Reflection;

namespace AgentSteps.Inspection;

/// <summary>
/// Adapts one method return shape (<c>T</c>, <c>void</c>, <c>Task</c>, <c>Task&lt;T&gt;</c>, <c>ValueTask</c>,
/// <c>ValueTask&lt;T&gt;</c>) to the pipeline's <see cref="ValueTask{TResult}"/> of <see cref="object"/> and back.
/// One instance per step, made at <c>Steps.Create</c>, so a call needs no reflection.
/// </summary>
internal abstract class ReturnShape
{
    /// <summary>Gets the result type the step produces (<see cref="void"/> for none).</summary>
    public abstract Type ResultType { get; }

    /// <summary>Gets a value indicating whether the method returns a task.</summary>
    public abstract bool IsAsync { get; }

    /// <summary>
    /// Gets the type of the items of a step that returns <see cref="IAsyncEnumerable{T}"/>, or <see langword="null"/>:
    /// such a step's pipeline result is the list of the items it yielded.
    /// </summary>
    public virtual Type? ItemType => null;

    /// <summary>Turns what a step body returned into the pipeline's result.</summary>
    public abstract ValueTask<object?> FromBody(object? returnValue);

    /// <summary>
    /// Gets a value indicating whether the shape depends on the type arguments of a generic method (<c>Task&lt;T&gt;</c>):
    /// such a step's descriptor is closed per constructed method at its first call.
    /// </summary>
    public virtual bool IsOpen => false;

    /// <summary>Turns the pipeline's result into what the intercepted method returns.</summary>
    public abstract object? ToReturnValue(ValueTask<object?> pipeline);

    /// <summary>
    /// Starts the pipeline and turns its result into what the intercepted method returns. A synchronous step blocks its
    /// caller until the pipeline ends, so the pipeline starts with no <see cref="SynchronizationContext"/>: an await
    /// without <c>ConfigureAwait(false)</c> in a middleware or chat client would otherwise post its continuation to the
    /// blocked thread of a single-threaded context (a UI thread, old ASP.NET) and never run.
    /// </summary>
    /// <remarks>The pipeline starts from a static lambda and its state, so that a call allocates no delegate.</remarks>
    public object? Invoke<TState>(Func<TState, ValueTask<object?>> pipeline, TState state)
    {
        var context = SynchronizationContext.Current;
        if (IsAsync || context is null)
        {
            return ToReturnValue(pipeline(state));
        }

        ValueTask<object?> started;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            started = pipeline(state);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return ToReturnValue(started);
    }

    /// <summary>Gets the shape of a constructed generic method whose definition's shape <see cref="IsOpen"/>.</summary>
    public static ReturnShape ForConstructed(MethodInfo method) =>
        For(method.ReturnType) ?? throw new InvalidOperationException($"The return type {method.ReturnType} of '{method.Name}' has no shape.");

    /// <summary>Creates the shape of <paramref name="returnType"/>, or <see langword="null"/> when it is not supported.</summary>
    public static ReturnShape? For(Type returnType)
    {
        if (returnType == typeof(void))
        {
            return new SyncShape(typeof(void));
        }

        if (returnType == typeof(Task))
        {
            return new TaskShape();
        }

        if (returnType == typeof(ValueTask))
        {
            return new ValueTaskShape();
        }

        if (returnType.IsByRef || returnType.IsPointer || returnType.IsByRefLike)
        {
            return null;
        }

        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            if (returnType.ContainsGenericParameters && (definition == typeof(Task<>) || definition == typeof(ValueTask<>)))
            {
                // Task<T> of a generic method: no TaskShape<T> can be made from an open T, so each constructed method gets its own.
                return new OpenShape();
            }

            if (definition == typeof(Task<>))
            {
                return (ReturnShape)Activator.CreateInstance(typeof(TaskShape<>).MakeGenericType(returnType.GetGenericArguments()))!;
            }

            if (definition == typeof(ValueTask<>))
            {
                return (ReturnShape)Activator.CreateInstance(typeof(ValueTaskShape<>).MakeGenericType(returnType.GetGenericArguments()))!;
            }

            if (definition == typeof(IAsyncEnumerable<>))
            {
                return returnType.ContainsGenericParameters
                    ? new OpenShape()
                    : (ReturnShape)Activator.CreateInstance(typeof(StreamShape<>).MakeGenericType(returnType.GetGenericArguments()))!;
            }
        }

        return returnType.IsGenericParameter || returnType.ContainsGenericParameters
            ? new SyncShape(typeof(object))
            : new SyncShape(returnType);
    }

    private static object? Wait(ValueTask<object?> pipeline) =>
        pipeline.IsCompletedSuccessfully ? pipeline.Result : pipeline.AsTask().GetAwaiter().GetResult();

    private sealed class SyncShape(Type resultType) : ReturnShape
    {
        public override Type ResultType => resultType;

        public override bool IsAsync => false;

        public override ValueTask<object?> FromBody(object? returnValue) => new(returnValue);

        // A synchronous step that awaits a model blocks its caller, as any synchronous I/O does.
        public override object? ToReturnValue(ValueTask<object?> pipeline) => Wait(pipeline);
    }

    private sealed class OpenShape : ReturnShape
    {
        public override Type ResultType => typeof(object);

        public override bool IsAsync => true;

        public override bool IsOpen => true;

        public override ValueTask<object?> FromBody(object? returnValue) => throw new InvalidOperationException("An open shape is closed per constructed method before any call.");

        public override object? ToReturnValue(ValueTask<object?> pipeline) => throw new InvalidOperationException("An open shape is closed per constructed method before any call.");
    }

    private sealed class TaskShape : ReturnShape
    {
        public override Type ResultType => typeof(void);

        public override bool IsAsync => true;

        public override ValueTask<object?> FromBody(object? returnValue) => AwaitAsync((Task)returnValue!);

        public override object? ToReturnValue(ValueTask<object?> pipeline) =>
            pipeline.IsCompletedSuccessfully ? Task.CompletedTask : pipeline.AsTask();

        private static async ValueTask<object?> AwaitAsync(Task task)
        {
            await task.ConfigureAwait(false);
            return null;
        }
    }

    private sealed class ValueTaskShape : ReturnShape
    {
        public override Type ResultType => typeof(void);

        public override bool IsAsync => true;

        public override ValueTask<object?> FromBody(object? returnValue) => AwaitAsync((ValueTask)returnValue!);

        public override object? ToReturnValue(ValueTask<object?> pipeline) =>
            pipeline.IsCompletedSuccessfully ? default(ValueTask) : new ValueTask(pipeline.AsTask());

        private static async ValueTask<object?> AwaitAsync(ValueTask task)
        {
            await task.ConfigureAwait(false);
            return null;
        }
    }

    private sealed class TaskShape<T> : ReturnShape
    {
        public override Type ResultType => typeof(T);

        public override bool IsAsync => true;

        public override ValueTask<object?> FromBody(object? returnValue) => AwaitAsync((Task<T>)returnValue!);

        public override object? ToReturnValue(ValueTask<object?> pipeline) =>
            pipeline.IsCompletedSuccessfully ? Task.FromResult((T)pipeline.Result!) : ConvertAsync(pipeline);

        private static async ValueTask<object?> AwaitAsync(Task<T> task) => await task.ConfigureAwait(false);

        private static async Task<T> ConvertAsync(ValueTask<object?> pipeline) => (T)(await pipeline.ConfigureAwait(false))!;
    }

    private sealed class ValueTaskShape<T> : ReturnShape
    {
        public override Type ResultType => typeof(T);

        public override bool IsAsync => true;

        public override ValueTask<object?> FromBody(object? returnValue) => AwaitAsync((ValueTask<T>)returnValue!);

        public override object? ToReturnValue(ValueTask<object?> pipeline) =>
            pipeline.IsCompletedSuccessfully ? new ValueTask<T>((T)pipeline.Result!) : new ValueTask<T>(ConvertAsync(pipeline));

        private static async ValueTask<object?> AwaitAsync(ValueTask<T> task) => await task.ConfigureAwait(false);

        private static async Task<T> ConvertAsync(ValueTask<object?> pipeline) => (T)(await pipeline.ConfigureAwait(false))!;
    }

    /// <summary>
    /// <see cref="IAsyncEnumerable{T}"/>: the step runs when the caller enumerates, and its items reach the caller as they
    /// are produced, through the stream the interceptor returns (<see cref="Pipeline.StepStream{T}"/>); the pipeline's
    /// result is the list of the items yielded.
    /// </summary>
    internal sealed class StreamShape<T> : ReturnShape, Pipeline.IStreamShape
    {
        public override Type ResultType => typeof(IReadOnlyList<T>);

        public override Type? ItemType => typeof(T);

        public override bool IsAsync => true;

        public override ValueTask<object?> FromBody(object? returnValue) =>
            throw new InvalidOperationException("A streaming step's body is pumped into its stream, not awaited.");

        public override object? ToReturnValue(ValueTask<object?> pipeline) =>
            throw new InvalidOperationException("A streaming step returns its stream at once; the pipeline runs when it is enumerated.");

        public object CreateStream(Pipeline.StreamStarter starter) => new Pipeline.StepStream<T>(starter);

        public ValueTask<object?> PumpAsync(StepContext context, object? returnValue) =>
            Pipeline.StepStream<T>.PumpAsync(context, (IAsyncEnumerable<T>?)returnValue);

        public ValueTask<object?> RunModelAsync(StepContext context) => Pipeline.ModelStream<T>.RunAsync(context);
    }
}
