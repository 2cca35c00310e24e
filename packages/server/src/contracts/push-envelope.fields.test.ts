import { clone, createFileRegistry, type DescMessage } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { create } from '@bufbuild/protobuf';
import { calls, common, favorites, gateway, media, message as pb, moments, rooms } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { WRITTEN_FIELDS } from './push-envelope.js';

type Written = { fields: Record<string, number>; otherCasesOf?: string };

/**
 * What the fast-path writer would get wrong for `schema`: fields it does not write (apart from
 * the cases of `otherCasesOf`, which go to the generated encoder), and fields it writes that
 * the schema lacks or numbers otherwise.
 */
function drift(schema: DescMessage, w: Written): string[] {
  const out: string[] = [];
  for (const f of schema.fields) {
    if (f.localName in w.fields || (w.otherCasesOf && f.oneof?.name === w.otherCasesOf)) continue;
    out.push(`${schema.typeName}.${f.name} (${f.number}) is not written`);
  }
  for (const [name, no] of Object.entries(w.fields)) {
    if (schema.fields.find((f) => f.localName === name)?.number !== no)
      out.push(`${schema.typeName}.${name} (${no}) is not in the schema`);
  }
  return out;
}

const generated: DescMessage[] = [
  gateway.PushEnvelopeSchema,
  gateway.ServerFrameSchema,
  pb.SendMessageResponseSchema,
];

describe('push fast path field set', () => {
  it('writes every field of the generated PushEnvelope, ServerFrame and SendMessageResponse', () => {
    expect(Object.keys(WRITTEN_FIELDS).sort()).toEqual(generated.map((s) => s.typeName).sort());
    for (const schema of generated) {
      const w = WRITTEN_FIELDS[schema.typeName as keyof typeof WRITTEN_FIELDS] as Written;
      expect(drift(schema, w)).toEqual([]);
    }
  });

  it('flags a field added to a frame or envelope, but not a new body case (the generated encoder takes those)', () => {
    const file = clone(FileDescriptorProtoSchema, gateway.file_mychat_gateway_v1_gateway.proto);
    const msg = (name: string) => file.messageType.find((m) => m.name === name)!;
    const field = (name: string, number: number, oneofIndex?: number) =>
      create(FieldDescriptorProtoSchema, {
        name,
        number,
        label: FieldDescriptorProto_Label.OPTIONAL,
        type: FieldDescriptorProto_Type.STRING,
        ...(oneofIndex !== undefined && { oneofIndex }),
      });
    msg('ServerFrame').field.push(field('trace_id', 90), field('notice', 91, 0));
    msg('PushEnvelope').field.push(field('origin', 3));
    const deps = [
      common.file_mychat_common_v1_errors,
      pb.file_mychat_message_v1_message,
      moments.file_mychat_moments_v1_moments,
      favorites.file_mychat_message_v1_favorites,
      media.file_mychat_media_v1_media,
      rooms.file_mychat_rooms_v1_rooms,
      calls.file_mychat_calls_v1_calls,
    ];
    const registry = createFileRegistry(file, (name) => deps.find((d) => d.proto.name === name));
    const frame = registry.getMessage('mychat.gateway.v1.ServerFrame')!;
    const envelope = registry.getMessage('mychat.gateway.v1.PushEnvelope')!;
    expect(drift(frame, WRITTEN_FIELDS['mychat.gateway.v1.ServerFrame'])).toEqual([
      'mychat.gateway.v1.ServerFrame.trace_id (90) is not written',
    ]);
    expect(drift(envelope, WRITTEN_FIELDS['mychat.gateway.v1.PushEnvelope'])).toEqual([
      'mychat.gateway.v1.PushEnvelope.origin (3) is not written',
    ]);
  });

  it('flags a written field that the schema renumbered or dropped', () => {
    const renumbered = { fields: { requestId: 1, sendAck: 12, message: 15 }, otherCasesOf: 'body' };
    expect(drift(gateway.ServerFrameSchema, renumbered)).toEqual([
      'mychat.gateway.v1.ServerFrame.message (15) is not in the schema',
    ]);
    const gone = { fields: { message: 1, duplicate: 2, serverTimeMs: 3 } };
    expect(drift(pb.SendMessageResponseSchema, gone)).toEqual([
      'mychat.message.v1.SendMessageResponse.serverTimeMs (3) is not in the schema',
    ]);
  });
});
