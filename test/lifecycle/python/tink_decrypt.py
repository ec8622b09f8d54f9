"""Decrypts kafka-csfle (Confluent CSFLE) field ciphertexts with plain Google Tink and keys from
a plaintext key export. No kafka-csfle, no DEK Registry, no KMS.

usage: python tink_decrypt.py KEYS.jsonl < records.json > decrypted.json
records.json: [{"keyLink": "<kek>/<subject>/<algorithm>/<version or 'prefix'>",
                "record": {...}, "fields": ["name", ...]}, ...]
A keyLink ending in "/prefix" means the rule rotates DEKs: the version is read from the
ciphertext's 5-byte prefix (0x00 + int32 big-endian), which is dropped before decrypting.
"""
import base64
import json
import struct
import sys

import tink
from tink import aead, daead, secret_key_access

aead.register()
daead.register()

keys = {}
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            k = json.loads(line)
            keys[k["keyLink"]] = k


def decrypt(key_link, data):
    k = keys[key_link]
    handle = tink.json_proto_keyset_format.parse(json.dumps(k["tinkKey"]), secret_key_access.TOKEN)
    if k["algorithm"] == "AES256_SIV":
        return handle.primitive(daead.DeterministicAead).decrypt_deterministically(data, b"")
    return handle.primitive(aead.Aead).decrypt(data, b"")


out = []
for item in json.load(sys.stdin):
    record = dict(item["record"])
    for field in item["fields"]:
        data = base64.b64decode(record[field])
        link = item["keyLink"]
        if link.endswith("/prefix"):
            version = struct.unpack(">i", data[1:5])[0]
            link, data = f"{link[: -len('/prefix')]}/{version}", data[5:]
        record[field] = decrypt(link, data).decode("utf-8")
    out.append(record)
json.dump(out, sys.stdout)
