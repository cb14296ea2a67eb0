"""The benchmark suite behind benchmarks/run.py: cnn next to PyTorch and Keras 3 in one process."""
