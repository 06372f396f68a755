"""The JSON-RPC server and its methods (src/rpc/)."""
