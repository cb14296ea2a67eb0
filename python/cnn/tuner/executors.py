"""Where trials run: in this process, on a Dask cluster (a distributed.Client), or on any
concurrent.futures.Executor. Finished trials come back as they finish, whatever the order."""
import concurrent.futures
import os
import sys

from cnn.tuner.runner import run_trial_safely


def is_dask_client(executor):
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "scheduler_info")


def check_executor(executor):
    if executor is None or is_dask_client(executor) or isinstance(executor, concurrent.futures.Executor):
        return executor
    raise TypeError("executor must be None, a dask.distributed.Client or a concurrent.futures.Executor, "
                    f"got {executor!r}")


def process_threads(executor):
    """The cnn thread count for a trial in a process pool's worker: its share of the cores."""
    if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        return max(1, (os.cpu_count() or 1) // max(1, getattr(executor, "_max_workers", 1)))
    return None   # Dask workers read their own thread count; threads in this process keep cnn's setting


def pack(hypermodel, args, fit_kwargs):
    """cloudpickle bytes of what every trial shares. The hypermodel's own module goes by value, so a
    build function defined in a script, a notebook or a test module runs on workers that cannot import it."""
    import cloudpickle

    fn = getattr(hypermodel, "build_fn", hypermodel)
    module = sys.modules.get(getattr(fn, "__module__", None) or type(hypermodel).__module__)
    by_value = module is not None and module.__name__ not in ("__main__", "builtins") \
        and not module.__name__.startswith("cnn")
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps((hypermodel, args, fit_kwargs))
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)


def run_wave(executor, tasks, on_result):
    """Runs the tasks (on an executor, in the order given: longest first keeps the last worker from
    finishing alone); calls on_result(task, result_or_exception) as each finishes."""
    if executor is None:
        for task in tasks:
            on_result(task, _call(task))
        return
    if is_dask_client(executor):
        from distributed import as_completed
        # Dask runs higher priorities first, whatever order the submissions reach the scheduler in
        futures = {executor.submit(run_trial_safely, t, pure=False, priority=len(tasks) - i,
                                   key=f"cnn-trial-{t['trial_id']}-{os.urandom(4).hex()}"): t
                   for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            on_result(futures[fut], _outcome(fut))
        return
    futures = {executor.submit(run_trial_safely, t): t for t in tasks}
    for fut in concurrent.futures.as_completed(futures):
        on_result(futures[fut], _outcome(fut))


def _call(task):
    return run_trial_safely(task)   # a failing trial is recorded, the search goes on (as in KerasTuner)


def _outcome(future):
    try:
        return future.result()
    except Exception as e:
        return e
