// A logpoint's message: its "{expr}" parts evaluated in the stopped frame, an error in place.
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { errorText } from './errors';

export async function formatLogMessage(connection: MiConnection, message: string, threadId: number): Promise<string> {
  const parts = message.split(/(\{[^{}]+\})/);
  const values = await Promise.all(
    parts.map(async (part) => {
      if (!/^\{[^{}]+\}$/.test(part)) return part;
      try {
        const result = await connection.send(mi.evaluate(part.slice(1, -1), { threadId, frameLevel: 0 }));
        return result.results.str('value');
      } catch (error) {
        return `<${errorText(error)}>`;
      }
    }),
  );
  return values.join('');
}
