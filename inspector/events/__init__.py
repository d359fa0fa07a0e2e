"""Event files: TFRecord framing, the protobuf messages, and decoding of every summary form.

Reads and writes bytes only; never imports TensorFlow.
"""
