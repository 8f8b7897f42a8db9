"""okrkit's benchmarks: ``python -m bench`` (see docs/benchmarks.md).

Each row measures a figure and, in the same run, the baseline it is judged against; the table and
the JSON give both and their ratio. The refresh rows run against `bench.fakeapi`, a local fake of
a JSON endpoint and the YouTube Data API with an injected latency.
"""
