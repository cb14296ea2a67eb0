"""python -m cnn: the red-wine lesson, trained by the C core on the shipped data.

    python -m cnn            # 3 x Dense(512) + Dense(1), adam, mae, batch 256, 10 epochs
    python -m cnn --epochs 50 --seed 1
"""
import argparse
import time

import cnn
from cnn import layers
from cnn.datasets import load_red_wine


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnn", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="worker threads (0: all cores)")
    args = parser.parse_args(argv)

    cnn.utils.set_random_seed(args.seed)
    cnn.utils.set_num_threads(args.threads)
    (x_train, y_train), (x_valid, y_valid) = load_red_wine()
    print(f"Red wine quality: {len(x_train)} training and {len(x_valid)} validation rows, "
          f"{x_train.shape[1]} features, min-max scaled.")
    model = cnn.Sequential([
        cnn.Input(shape=(11,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mae")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=256,
                        epochs=args.epochs)
    seconds = time.perf_counter() - start
    best = min(history.history["val_loss"])
    print(f"Trained {args.epochs} epochs in {seconds:.2f} s on {cnn.utils.get_num_threads()} thread(s). "
          f"Best validation MAE: {best:.4f} (predicting the median gives 0.1329).")


if __name__ == "__main__":
    main()
