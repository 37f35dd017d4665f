// Redocly plugin: the success envelope `{ success: true, data: <payload> }`, written once.
//
// A success response states only its payload and marks its media type with `x-envelope: true`:
//
//   application/json:
//     x-envelope: true
//     schema: { $ref: ../components/schemas/Agent.yaml }   # the schema of `data`
//     example: { id: ..., name: ... }                       # the value of `data`
//
// The `success-envelope` preprocessor (enabled in redocly.yaml) removes the marker and wraps the schema into
// `{ type: object, required: [success, data], additionalProperties: false,
//    properties: { success: { type: boolean, const: true }, data: <schema> } }`
// and the example (and each inline `examples` value) into `{ success: true, data: <example> }`.
//
// It is a preprocessor, not a decorator, on purpose: Redocly runs preprocessors before both `lint` and
// `bundle` (decorators only in `bundle`), so lint checks the same enveloped schemas and examples that land
// in generated/openapi.json, and the bundle is exactly what the inline envelopes used to produce.
// Error responses are not wrapped; they are the shared components in components/responses/.

const MARKER = 'x-envelope';

function wrapSchema(payload) {
  return {
    type: 'object',
    required: ['success', 'data'],
    additionalProperties: false,
    properties: {
      success: { type: 'boolean', const: true },
      data: payload,
    },
  };
}

function wrapValue(payload) {
  return { success: true, data: payload };
}

function SuccessEnvelope() {
  return {
    MediaType: {
      enter(mediaType, ctx) {
        if (!Object.prototype.hasOwnProperty.call(mediaType, MARKER)) return;
        const marker = mediaType[MARKER];
        delete mediaType[MARKER];
        if (marker !== true) {
          ctx.report({ message: `\`${MARKER}\` must be \`true\`.`, location: ctx.location.child(MARKER) });
          return;
        }
        if (mediaType.schema === undefined) {
          ctx.report({ message: `\`${MARKER}\` needs a \`schema\` (the payload).`, location: ctx.location });
          return;
        }
        // Replace values in place so that the media type keeps its key order (and the bundle its bytes).
        mediaType.schema = wrapSchema(mediaType.schema);
        if (mediaType.example !== undefined) mediaType.example = wrapValue(mediaType.example);
        for (const [name, example] of Object.entries(mediaType.examples ?? {})) {
          if (example && typeof example === 'object' && '$ref' in example) {
            ctx.report({
              message: `\`${MARKER}\` cannot wrap a referenced example; write it inline.`,
              location: ctx.location.child(['examples', name]),
            });
          } else if (example && typeof example === 'object' && 'value' in example) {
            example.value = wrapValue(example.value);
          }
        }
      },
    },
  };
}

export default function envelopePlugin() {
  return {
    id: 'alumia',
    preprocessors: {
      oas3: { 'success-envelope': SuccessEnvelope },
    },
  };
}
