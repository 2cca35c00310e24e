"""An independent gRPC client for MyChat's internal services, built from the .proto files alone.

Run by cluster.system.test.ts with Debian's python3-grpcio:
    /usr/bin/python3 client.py <stubs dir> '<json args>'
It prints one JSON object with what each call returned (or its gRPC status name).
"""
import json
import sys

import grpc

stubs, args = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, stubs)

from mychat.auth.v1 import auth_pb2, auth_pb2_grpc  # noqa: E402
from mychat.message.v1 import message_pb2, message_pb2_grpc  # noqa: E402

TOKEN = ("x-mychat-internal-token", args["token"])
# The identity headers only a gateway may set; services trust them because of the token.
IDENTITY = [
    ("x-mychat-user-id", args["userId"]),
    ("x-mychat-session-id", args["sessionId"]),
    ("x-mychat-client-type", "bot"),
    ("x-mychat-device-id", "python"),
    ("x-request-id", "python-grpc-client"),
]


def call(method, request, metadata):
    try:
        return "OK", method(request, metadata=metadata, timeout=5)
    except grpc.RpcError as e:
        return e.code().name, None


out = {}
with grpc.insecure_channel(args["auth"]) as channel:
    directory = auth_pb2_grpc.UserDirectoryServiceStub(channel)
    lookup = auth_pb2.LookupUsersRequest(user_ids=[args["userId"]])
    code, res = call(directory.LookupUsers, lookup, [TOKEN])
    out["lookup"] = {"code": code, "nicknames": [u.nickname for u in res.users] if res else []}
    out["lookupWithoutToken"] = call(directory.LookupUsers, lookup, [])[0]
    out["lookupWrongToken"] = call(directory.LookupUsers, lookup, [("x-mychat-internal-token", "wrong")])[0]

with grpc.insecure_channel(args["message"]) as channel:
    messages = message_pb2_grpc.MessageServiceStub(channel)
    history = message_pb2.GetHistoryRequest(conversation_id=args["conversationId"], limit=50)
    code, res = call(messages.GetHistory, history, [TOKEN] + IDENTITY)
    out["history"] = {
        "code": code,
        "messages": [[m.seq, m.content.text.text] for m in res.messages] if res else [],
    }
    out["historyWithoutToken"] = call(messages.GetHistory, history, IDENTITY)[0]
    out["historyWithoutIdentity"] = call(messages.GetHistory, history, [TOKEN])[0]

print(json.dumps(out))
