"""``make bench``: the builder's benchmarks, beside the package (see ``__main__``)."""
