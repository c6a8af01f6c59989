"""HTTP and Socket.IO entry points: parse the request, call one service, return the envelope."""
