"""python -m cnn: the course's demos, trained by the C core on the shipped data.

    python -m cnn                  # lab 04: the red-wine model with early stopping (the default)
    python -m cnn sgd              # another lab's demo (see --help for the list)
    python -m cnn --epochs 50 --seed 1 --plot curves.png
    python -m cnn --info           # version, instruction set, threads, data: paste it in bug reports
"""
import argparse
import time

import cnn
from cnn._demos import DEMOS


def _parser():
    listing = "\n".join(f"  {name:<15} {function.__doc__.splitlines()[0]}\n  {'':<15} notebooks/{notebook}"
                        for name, (function, notebook) in DEMOS.items())
    parser = argparse.ArgumentParser(
        prog="python -m cnn", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Demos of the course's labs, trained by cnn's C core on the shipped data.",
        epilog=f"demos (one per lab; the notebooks are the full lessons, in Spanish):\n{listing}")
    parser.add_argument("demo", nargs="?", default="wine", choices=list(DEMOS), metavar="DEMO",
                        help="which demo to run (default: wine)")
    parser.add_argument("--info", action="store_true",
                        help="print the version, instruction-set path, thread count and data source, then exit")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the lab's own)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed of the wine and neuron demos (default: 0; the others use their lab's seeds)")
    parser.add_argument("--threads", type=int, default=0, help="worker threads (default 0: all cores)")
    parser.add_argument("--plot", default="red_wine_learning_curves.png", metavar="PNG",
                        help="where the wine demo saves its learning curves, '' for nowhere "
                             "(needs matplotlib; default: %(default)s)")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs must be a positive integer, got {args.epochs}")
    if args.threads < 0:
        parser.error(f"--threads must be 0 (all cores) or more, got {args.threads}")
    if args.info:  # before --threads: report what any program would get
        from cnn._info import info_lines
        print("\n".join(info_lines()))
        return
    cnn.utils.set_random_seed(args.seed)
    cnn.utils.set_num_threads(args.threads)
    start = time.perf_counter()
    DEMOS[args.demo][0](args)
    print(f"Done in {time.perf_counter() - start:.1f} s on {cnn.utils.get_num_threads()} thread(s).")


if __name__ == "__main__":
    main()
