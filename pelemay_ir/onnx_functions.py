"""ONNX ops that ONNX itself defines as functions of other ops (Attention,
RMSNormalization, RotaryEmbedding, GroupNormalization, ...): where the op table has
no translation of its own, the node is replaced by the function body its
schema gives for the model's opset, and the body's nodes are imported in its
place. The result is ONNX's own definition of the op, built from ops the
table translates; a body node the table cannot translate is rejected as any
node is, its name prefixed with the node it came from."""

from __future__ import annotations

import numpy as np

from pelemay_ir.onnx_values import Held, Node


SHAPE_INPUTS = {"CenterCropPad": ((1, "the shape"),)}
"""Inputs of function ops that decide the output shape: fixed from the
declared output (`pelemay_ir.onnx_fixed`) before the body is expanded, so
the body computes on known sizes."""


def body(node: Node) -> list | None:
    """The nodes of `node`'s function body (renamed into the graph), or None
    when its schema defines no function for the model's opset."""
    from onnx import FunctionProto, defs

    try:
        schema = defs.get_schema(node.op, node.opset, node.proto.domain or "")
    except Exception:  # noqa: BLE001 - no schema: an unknown op
        return None
    proto = _with_defaults(node, schema)
    for i, what in SHAPE_INPUTS.get(node.op, ()):
        if node.has(i) and isinstance(node.value(i), Held):
            # a graph input the declared output shape fixes: the body sees the known value
            known = f"{node.name}/{what}"
            node.importer.values[known] = np.asarray(node.const(i, what))
            proto.input[i] = known
    plain = [v for v in schema.function_opset_versions if v <= node.opset]
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= node.opset]
    fn = FunctionProto()
    try:
        if dependent and (not plain or max(dependent) >= max(plain)):
            types = [_type_of(node, i).SerializeToString() for i in range(node.n_inputs)]
            text = schema.get_context_dependent_function_with_opset_version(max(dependent), proto.SerializeToString(), types)
            if not text:
                return None
            fn.ParseFromString(text)
        elif plain:
            fn.ParseFromString(schema.get_function_with_opset_version(max(plain)))
        else:
            return None
    except Exception as e:  # noqa: BLE001 - onnx's builders raise many types; report one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise node.fail(f"its ONNX function body cannot be built: {first}") from None
    return _expand(proto, fn, f"{node.name}/")


def _with_defaults(node: Node, schema):
    """The node with the schema's attribute defaults written out (a body
    refers to attributes by name and takes an absent one as unset)."""
    from onnx import NodeProto

    proto = NodeProto()
    proto.CopyFrom(node.proto)
    have = {a.name for a in proto.attribute}
    for name, attr in schema.attributes.items():
        if name not in have and attr.default_value and attr.default_value.name:
            proto.attribute.extend([attr.default_value])
    return proto


def _type_of(node: Node, i: int):
    """Input i's ONNX type (int64, uint8, ... for a value held as int32)."""
    from onnx import TensorProto, TypeProto, helper

    if not node.has(i):
        return TypeProto()
    v = node.value(i)
    if isinstance(v, Held):
        if v.wide:
            elem = TensorProto.INT64
        elif v.kind:
            elem = helper.np_dtype_to_tensor_dtype(np.dtype(v.kind))
        else:
            elem = helper.np_dtype_to_tensor_dtype(v.dtype)
    else:
        elem = helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype)
    return helper.make_tensor_type_proto(elem, list(node.shape(i)))


def _expand(node, fn, prefix: str) -> list:
    """fn's nodes with its formal inputs and outputs bound to node's, its
    internal values prefixed and attribute references resolved."""
    names: dict[str, str] = {}
    for k, formal in enumerate(fn.input):
        names[formal] = node.input[k] if k < len(node.input) else ""
    for k, formal in enumerate(fn.output):
        if k < len(node.output) and node.output[k]:
            names[formal] = node.output[k]
    attrs = {a.name: a for a in node.attribute}
    for a in fn.attribute_proto:  # the function's own defaults
        attrs.setdefault(a.name, a)

    def rename(n: str) -> str:
        if n == "":
            return ""
        return names.get(n, prefix + n)

    out = []
    for k, inner in enumerate(fn.node):
        out.append(_rename(inner, rename, attrs, prefix, f"{prefix}{inner.op_type}_{k}"))
    return out


def _rename(inner, rename, attrs, prefix: str, name: str | None):
    from onnx import AttributeProto, NodeProto

    new = NodeProto()
    new.CopyFrom(inner)
    new.ClearField("input")
    new.ClearField("output")
    new.ClearField("attribute")
    if name is not None:
        new.name = name
    new.input.extend(rename(n) for n in inner.input)
    new.output.extend(rename(n) for n in inner.output)
    for a in inner.attribute:
        if a.ref_attr_name:
            if a.ref_attr_name in attrs:
                b = AttributeProto()
                b.CopyFrom(attrs[a.ref_attr_name])
                b.name = a.name
                new.attribute.append(b)
            continue
        b = AttributeProto()
        b.CopyFrom(a)
        if a.type == AttributeProto.GRAPH:
            g = b.g
            local = {}
            for vi in (*g.input, *g.output):
                local[vi.name] = vi.name = prefix + vi.name
            for init in g.initializer:
                local[init.name] = init.name = prefix + init.name

            def sub(n: str, local=local) -> str:
                return local.get(n) or rename(n)

            nodes = [_rename(n, sub, attrs, prefix, None) for n in g.node]
            g.ClearField("node")
            g.node.extend(nodes)
        new.attribute.append(b)
    return new
