"""The embedding model: loaded once, ONNX int8 by default; sentence and token vectors."""
