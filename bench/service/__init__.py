"""nippo\x27s routes against the same stack\x27s ceiling (`python -m bench.service`)."""
