"""Step 2: Confluent's Python client (confluent-kafka, the oracle) reads what kafka-csfle wrote
and writes a record of its own. Usage: oracle.py URL IN_OURS OUT_THEIRS. Prints the decoded
record as JSON; exits non-zero if a field is not what kafka-csfle wrote."""
import base64, json, sys
import requests
from google.protobuf import descriptor_pb2, json_format
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message_factory import GetMessageClass
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import FieldEncryptionExecutor
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver
from confluent_kafka.serialization import MessageField, SerializationContext

url, ours_path, theirs_path = sys.argv[1:4]
SECRET, TOPIC = 'python-oracle-secret', 'pyoracle'
LocalKmsDriver.register()
FieldEncryptionExecutor.register()
client = SchemaRegistryClient({'url': url})
pool = DescriptorPool()


def add(subject, version, name=None):
    r = requests.get(f"{url}/subjects/{subject}/versions/{version}?format=serialized", timeout=10).json()
    for ref in r.get('references') or []:
        add(ref['subject'], ref['version'], ref['name'])
    fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(r['schema']))
    if name:
        fdp.name = name
    pool.Add(fdp)


add(f'{TOPIC}-value', 'latest')
Person = GetMessageClass(pool.FindMessageTypeByName('x.v1.Person'))
ctx = SerializationContext(TOPIC, MessageField.VALUE)

de = ProtobufDeserializer(Person, {'use.deprecated.format': False}, client, rule_conf={'secret': SECRET})
got = json_format.MessageToDict(de(open(ours_path, 'rb').read(), ctx))
want = {
    'name': 'Ada Lovelace', 'age': 36, 'emails': ['ada@example.com', 'countess@example.org'],
    'home': {'street': '1 Main St', 'city': 'London'}, 'previous': [{'street': '2 Old Rd', 'city': 'Bath'}],
    # AxonOps' serialized form drops `map_entry`: Python sees the map as repeated entries.
    'places': [{'key': 'work', 'value': {'street': '3 Lab Ln', 'city': 'Oxford'}}], 'pager': {'number': 'P-12345'},
    'photo': base64.b64encode(bytes([1, 2, 3])).decode(), 'manager': {'name': 'Charles Babbage', 'phone': '+44 1'},
}
if got != want:
    print('MISMATCH reading kafka-csfle record\n got:', json.dumps(got, sort_keys=True), '\nwant:', json.dumps(want, sort_keys=True))
    sys.exit(1)
print('python read kafka-csfle record: OK')

theirs = json_format.ParseDict({
    'name': 'Grace Hopper', 'age': 85, 'emails': ['grace@navy.mil'], 'home': {'street': '9 Cobol Ct', 'city': 'Arlington'},
    'previous': [{'street': '1 Harvard Yd', 'city': 'Cambridge'}], 'places': [{'key': 'lab', 'value': {'street': '5 Mark I Way', 'city': 'Boston'}}],
    'pager': {'number': 'P-999'}, 'photo': 'AQID', 'manager': {'name': 'Howard Aiken', 'phone': '+1 617'},
}, Person())
ser = ProtobufSerializer(Person, client, {'use.latest.version': True, 'auto.register.schemas': False, 'use.deprecated.format': False}, rule_conf={'secret': SECRET})
out = ser(theirs, ctx)
for p in [b'Grace Hopper', b'grace@navy.mil', b'9 Cobol Ct', b'1 Harvard Yd', b'5 Mark I Way', b'P-999', b'Howard Aiken', b'+1 617']:
    if p in out:
        print('python left plaintext on the wire:', p)
        sys.exit(1)
open(theirs_path, 'wb').write(out)
print('python wrote its record')
