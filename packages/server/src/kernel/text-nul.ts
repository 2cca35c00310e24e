import { ScalarType, type DescMessage, type Message } from '@bufbuild/protobuf';
import { isReflectMessage, reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';

/**
 * The JSON path of the first string field of `message` (nested messages, lists and maps
 * included) that holds a NUL character, or undefined. PostgreSQL's text type cannot store
 * NUL, so such a value would fail deep in SQL as an internal error; the edge refuses it
 * up front with a field name instead, the same on every engine.
 */
export function nulField(desc: DescMessage, message: Message): string | undefined {
  return walk(reflect(desc, message), '');
}

function walk(r: ReflectMessage, prefix: string): string | undefined {
  for (const f of r.fields) {
    if (!r.isSet(f)) continue;
    const path = prefix + f.jsonName;
    switch (f.fieldKind) {
      case 'scalar':
        if (f.scalar === ScalarType.STRING && (r.get(f) as string).includes('\0')) return path;
        break;
      case 'message': {
        const found = walk(r.get(f), `${path}.`);
        if (found) return found;
        break;
      }
      case 'list':
        for (const item of r.get(f)) {
          if (typeof item === 'string' && item.includes('\0')) return path;
          if (isReflectMessage(item)) {
            const found = walk(item, `${path}.`);
            if (found) return found;
          }
        }
        break;
      case 'map':
        for (const [key, value] of r.get(f)) {
          if (typeof key === 'string' && key.includes('\0')) return path;
          if (typeof value === 'string' && value.includes('\0')) return path;
          if (isReflectMessage(value)) {
            const found = walk(value, `${path}.`);
            if (found) return found;
          }
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}
