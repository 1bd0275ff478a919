/**
 * The awsQuery wire format: a flat form (`A.member.1.B=...`) read into a tree, and the
 * XML documents the SDK's XML deserializer expects back.
 */

/** One node of a parsed query form; `value` is set where a key ends, `children` where it goes on. */
export class QueryNode {
  value: string | undefined;
  readonly children = new Map<string, QueryNode>();

  /** The value at a dotted path below this node, if that key was sent. */
  get(path: string): string | undefined {
    let node: QueryNode | undefined = this;
    for (const part of path.split('.')) {
      node = node.children.get(part);
      if (node === undefined) return undefined;
    }
    return node.value;
  }

  /** The child at a dotted path, if any key below it was sent. */
  at(path: string): QueryNode | undefined {
    let node: QueryNode | undefined = this;
    for (const part of path.split('.')) {
      node = node?.children.get(part);
    }
    return node;
  }

  /**
   * The numbered items below `wrapper` (`member` for lists, `entry` for maps), in index
   * order: the SDK numbers from 1, and Map iteration order is insertion order, not index order.
   */
  items(wrapper: 'member' | 'entry'): QueryNode[] {
    const list = this.children.get(wrapper);
    if (list === undefined) return [];
    return [...list.children.entries()]
      .map(([index, node]) => [Number(index), node] as const)
      .filter(([index]) => Number.isInteger(index))
      .sort((a, b) => a[0] - b[0])
      .map(([, node]) => node);
  }
}

/** Reads form parameters into a tree keyed by the dotted segments of each name. */
export const parseQuery = (params: URLSearchParams): QueryNode => {
  const root = new QueryNode();
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      let next = node.children.get(part);
      if (next === undefined) {
        next = new QueryNode();
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
};

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for an XML element body or attribute. */
export const xmlEscape = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);

/** `<name>escaped text</name>`. */
export const el = (name: string, text: string): string => `<${name}>${xmlEscape(text)}</${name}>`;

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** A successful `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>` document. */
export const resultXml = (action: string, resultBody: string, requestId: string): string =>
  `<?xml version="1.0"?>\n<${action}Response xmlns="${SNS_XML_NAMESPACE}"><${action}Result>${resultBody}</${action}Result>` +
  `<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;

/** An `<ErrorResponse>`; `Type` is `Receiver` for server faults, as SNS reports them. */
export const errorXml = (code: string, message: string, status: number, requestId: string): string =>
  `<?xml version="1.0"?>\n<ErrorResponse xmlns="${SNS_XML_NAMESPACE}"><Error>${el('Type', status >= 500 ? 'Receiver' : 'Sender')}` +
  `${el('Code', code)}${el('Message', message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
