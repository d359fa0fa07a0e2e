"""TensorProto <-> numpy, without TensorFlow (the same rules as ``tf.make_ndarray``)."""

from __future__ import annotations

import math

import numpy as np

from inspector.events.proto import tensor_pb2

DT = tensor_pb2

# dtype enum -> (numpy dtype, name of the repeated *_val field holding it)
_NUMERIC = {
    DT.DT_FLOAT: (np.float32, "float_val"),
    DT.DT_DOUBLE: (np.float64, "double_val"),
    DT.DT_INT32: (np.int32, "int_val"),
    DT.DT_UINT8: (np.uint8, "int_val"),
    DT.DT_INT16: (np.int16, "int_val"),
    DT.DT_INT8: (np.int8, "int_val"),
    DT.DT_UINT16: (np.uint16, "int_val"),
    DT.DT_INT64: (np.int64, "int64_val"),
    DT.DT_BOOL: (np.bool_, "bool_val"),
    DT.DT_UINT32: (np.uint32, "uint32_val"),
    DT.DT_UINT64: (np.uint64, "uint64_val"),
    DT.DT_COMPLEX64: (np.complex64, "scomplex_val"),
    DT.DT_COMPLEX128: (np.complex128, "dcomplex_val"),
    DT.DT_HALF: (np.float16, "half_val"),
    DT.DT_BFLOAT16: (None, "half_val"),
}

_TO_ENUM = {
    np.dtype(np.float32): DT.DT_FLOAT,
    np.dtype(np.float64): DT.DT_DOUBLE,
    np.dtype(np.float16): DT.DT_HALF,
    np.dtype(np.int32): DT.DT_INT32,
    np.dtype(np.int64): DT.DT_INT64,
    np.dtype(np.uint8): DT.DT_UINT8,
    np.dtype(np.int8): DT.DT_INT8,
    np.dtype(np.int16): DT.DT_INT16,
    np.dtype(np.uint16): DT.DT_UINT16,
    np.dtype(np.uint32): DT.DT_UINT32,
    np.dtype(np.uint64): DT.DT_UINT64,
    np.dtype(np.bool_): DT.DT_BOOL,
}

# A hostile shape must not make us allocate: cap the element count of one decoded tensor.
MAX_ELEMENTS = 1 << 28


class TensorDecodeError(ValueError):
    """The TensorProto does not describe a tensor we can build."""


def shape_of(proto: tensor_pb2.TensorProto) -> tuple[int, ...]:
    return tuple([d.size for d in proto.tensor_shape.dim])


def check_tensor(proto: tensor_pb2.TensorProto) -> tuple[int, ...]:
    """The tensor's shape, after every check ``to_numpy`` makes that does not need the values
    (so a value decoded later cannot fail). Raises ``TensorDecodeError``."""
    shape = shape_of(proto)
    if any(d < 0 for d in shape):
        raise TensorDecodeError(f"negative dimension in shape {shape}")
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise TensorDecodeError(f"tensor of {size} elements is too large")
    if proto.dtype == DT.DT_STRING:
        given = len(proto.string_val)
    elif proto.dtype not in _NUMERIC:
        raise TensorDecodeError(f"unsupported tensor dtype {proto.dtype}")
    elif proto.tensor_content:
        np_dtype, _ = _NUMERIC[proto.dtype]
        itemsize = 2 if np_dtype is None else np.dtype(np_dtype).itemsize
        if proto.dtype != DT.DT_BFLOAT16 and len(proto.tensor_content) != size * itemsize:
            raise TensorDecodeError(
                f"tensor_content has {len(proto.tensor_content)} bytes, shape {shape} needs "
                f"{size * itemsize}")
        return shape
    else:
        field = _NUMERIC[proto.dtype][1]
        given = len(getattr(proto, field))
        if field in ("scomplex_val", "dcomplex_val"):
            given //= 2
    if given > size and proto.dtype != DT.DT_BFLOAT16:
        raise TensorDecodeError(f"{given} values for shape {shape}")
    return shape


def to_numpy(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """The tensor's value as a numpy array (strings as an object array of bytes)."""
    shape = shape_of(proto)
    if any(d < 0 for d in shape):
        raise TensorDecodeError(f"negative dimension in shape {shape}")
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if size > MAX_ELEMENTS:
        raise TensorDecodeError(f"tensor of {size} elements is too large")
    if proto.dtype == DT.DT_STRING:
        values = list(proto.string_val)
        return _fill(np.array(values, dtype=object) if values else np.array([], dtype=object),
                     shape, size, b"")
    if proto.dtype not in _NUMERIC:
        raise TensorDecodeError(f"unsupported tensor dtype {proto.dtype}")
    np_dtype, field = _NUMERIC[proto.dtype]
    if proto.dtype == DT.DT_BFLOAT16:
        if proto.tensor_content:
            bits = np.frombuffer(proto.tensor_content, dtype="<u2")
        else:
            bits = np.array(proto.half_val, dtype=np.uint32).astype("<u2")
        flat = (bits.astype(np.uint32) << 16).view(np.float32)
        return _fill(flat, shape, size, 0)
    if proto.tensor_content:
        itemsize = np.dtype(np_dtype).itemsize
        if len(proto.tensor_content) != size * itemsize:
            raise TensorDecodeError(
                f"tensor_content has {len(proto.tensor_content)} bytes, shape {shape} needs "
                f"{size * itemsize}"
            )
        little = np.dtype(np_dtype).newbyteorder("<")
        return np.frombuffer(proto.tensor_content, dtype=little).astype(np_dtype).reshape(shape)
    values = getattr(proto, field)
    if proto.dtype == DT.DT_HALF:
        flat = np.array(values, dtype=np.uint32).astype(np.uint16).view(np.float16)
    elif field in ("scomplex_val", "dcomplex_val"):
        pairs = np.array(values, dtype=np.float64).reshape(-1, 2)
        flat = (pairs[:, 0] + 1j * pairs[:, 1]).astype(np_dtype)
    else:
        flat = np.array(values, dtype=np_dtype)
    return _fill(flat, shape, size, 0)


def _fill(flat: np.ndarray, shape: tuple[int, ...], size: int, zero) -> np.ndarray:
    # TensorFlow repeats the last given value to fill the shape (a single value fills all).
    if flat.size == size:
        return flat.reshape(shape)
    if flat.size == 0:
        return np.full(shape, zero, dtype=flat.dtype if flat.dtype != object else object)
    if flat.size > size:
        raise TensorDecodeError(f"{flat.size} values for shape {shape}")
    out = np.empty(size, dtype=flat.dtype)
    out[: flat.size] = flat
    out[flat.size :] = flat[-1]
    return out.reshape(shape)


def from_numpy(array) -> tensor_pb2.TensorProto:
    """A TensorProto of ``array``: numbers in ``tensor_content``, strings in ``string_val``."""
    proto = tensor_pb2.TensorProto()
    arr = np.asarray(array)
    for d in arr.shape:
        proto.tensor_shape.dim.add().size = int(d)
    if arr.dtype.kind in "USO":
        proto.dtype = DT.DT_STRING
        proto.string_val.extend(
            v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in arr.reshape(-1)
        )
        return proto
    if arr.dtype not in _TO_ENUM:
        raise TypeError(f"cannot write a tensor of dtype {arr.dtype}")
    proto.dtype = _TO_ENUM[arr.dtype]
    proto.tensor_content = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return proto
