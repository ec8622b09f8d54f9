/**
 * Files every Protobuf schema may import without a schema reference, as Confluent's registries
 * and clients treat them: `confluent/meta.proto` (the `(confluent.field_meta)` option that
 * carries tags) and the well-known types `google/protobuf/*.proto` shipped with
 * `@bufbuild/protobuf`.
 *
 * @packageDocumentation
 */
import { create, createFileRegistry, type DescExtension, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, file_google_protobuf_descriptor } from '@bufbuild/protobuf/wkt';
import * as wkt from '@bufbuild/protobuf/wkt';

/** The well-known types importable as `google/protobuf/<name>.proto`. */
const WELL_KNOWN_TYPES = [
  'any',
  'api',
  'descriptor',
  'duration',
  'empty',
  'field_mask',
  'source_context',
  'struct',
  'timestamp',
  'type',
  'wrappers',
] as const;

/** Import path of Confluent's option file. */
export const CONFLUENT_META_PROTO = 'confluent/meta.proto';

/**
 * The text of `confluent/meta.proto`, for registries that do not have it built in (AxonOps):
 * register it under a subject and reference it as `confluent/meta.proto`.
 */
export const CONFLUENT_META_PROTO_TEXT = `syntax = "proto3";
package confluent;

import "google/protobuf/descriptor.proto";

option go_package = "../confluent";

message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}

extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`;

const META_EXTENDEES = ['File', 'Message', 'Field', 'Enum', 'EnumValue'] as const;

/** `confluent/meta.proto`: message `confluent.Meta { doc = 1; map<string,string> params = 2; repeated string tags = 3 }`, extension 1088. */
const metaFile = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: CONFLUENT_META_PROTO,
    package: 'confluent',
    dependency: ['google/protobuf/descriptor.proto'],
    syntax: 'proto3',
    messageType: [
      {
        name: 'Meta',
        field: [
          { name: 'doc', number: 1, label: 1, type: 9, jsonName: 'doc' },
          { name: 'params', number: 2, label: 3, type: 11, typeName: '.confluent.Meta.ParamsEntry', jsonName: 'params' },
          { name: 'tags', number: 3, label: 3, type: 9, jsonName: 'tags' },
        ],
        nestedType: [
          {
            name: 'ParamsEntry',
            field: [
              { name: 'key', number: 1, label: 1, type: 9, jsonName: 'key' },
              { name: 'value', number: 2, label: 1, type: 9, jsonName: 'value' },
            ],
            options: { mapEntry: true },
          },
        ],
      },
    ],
    extension: META_EXTENDEES.map((kind) => ({
      name: `${kind.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}_meta`,
      number: 1088,
      label: 1,
      type: 11,
      typeName: '.confluent.Meta',
      extendee: `.google.protobuf.${kind}Options`,
    })),
  }),
  (name) => (name === 'google/protobuf/descriptor.proto' ? file_google_protobuf_descriptor : undefined),
);

/** The `confluent.Meta` message. */
export const META_MESSAGE: DescMessage = metaFile.getMessage('confluent.Meta')!;
/** The `(confluent.field_meta)` extension of `google.protobuf.FieldOptions`. */
export const FIELD_META: DescExtension = metaFile.getExtension('confluent.field_meta')!;

const BUILTIN_FILES = new Map<string, DescFile>([
  [CONFLUENT_META_PROTO, metaFile.getFile(CONFLUENT_META_PROTO)!],
  ...WELL_KNOWN_TYPES.map((name): [string, DescFile] => {
    const f: DescFile = wkt[`file_google_protobuf_${name}`];
    return [f.proto.name, f];
  }),
]);

/** A built-in file by import path, if it is one. */
export function builtinFile(name: string): DescFile | undefined {
  return BUILTIN_FILES.get(name);
}
