"""Classical machine learning: linear models, generalisation, trees, SVMs and kernels."""
