// Go's text/template, the part of it people write after `docker ps --format` and `docker inspect
// -f`, with Docker's functions (json, join, split, lower, upper, title) and Docker's `table`
// directive, so that a format string copied from Docker's documentation works with nestbox.
//
// The code follows Go's own package (text/template/parse: lex.go and parse.go; text/template:
// exec.go and funcs.go) and docker/cli (templates/templates.go, cli/command/formatter/formatter.go
// and its copy of text/tabwriter): a tokenizer, a parser to a small tree, an evaluator. Where this
// file departs from Go, a comment says so.
//
// The data is JSON-like: objects stand for Go maps and structs, arrays for slices.
//   - `undefined` (a key that is not there) is Go's missing value: it prints "<no value>", and its
//     fields are missing too, without an error (missingkey=default).
//   - `null` stands for a nil pointer, as in Docker's structs (State.Health when the container has
//     no health check): it prints "<nil>", and asking it for a field is an error. (Go prints a nil
//     held in a map[string]any as "<no value>", golang/go#71595; Docker's data is structs.)
//   - A property that is a function is called like a Go method, with the action's arguments:
//     `{{.Label "com.example.key"}}`, as on a `docker ps` row.
//   - Numbers: an integer prints as Go prints an int, any other number as Go prints a float64.
import { UserError } from '../errors.js';
import { displayWidth } from './text-width.js';

/**
 * A template that does not parse, or that fails on the data. The message reads like Go's (Docker
 * prints Go's, after "template parsing error: "); it is the user's to fix, hence a UserError.
 */
export class TemplateError extends UserError {}

/**
 * Where `pos` is, as Go writes it: "name:line:column". The template has no name (Docker's has none
 * either, hence "template: :1:5: ..."); the column counts bytes from the start of the line, from 0,
 * as Go's ErrorContext does. Go puts only the line in parse errors; the column is added here.
 */
function where(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const lineStart = before.lastIndexOf('\n') + 1;
  return `:${before.split('\n').length}:${Buffer.byteLength(before.slice(lineStart))}`;
}

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'space' | 'field' | 'variable' | 'dot' | 'identifier'
  | 'keyword' | 'bool' | 'nil' | 'number' | 'char' | 'string' | 'rawString' | 'declare' | 'assign'
  | 'pipe' | 'leftParen' | 'rightParen' | 'other' | 'eof';

interface Token { type: TokenType; pos: number; val: string }

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
// Go 1.16 allowed newlines inside actions, so they separate words like spaces do.
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const ALNUM_RUN = /[\p{L}\p{Nd}_]*/uy;
const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);
// Go's scanNumber, as a pattern: sign, then hex, octal, binary or decimal digits (underscores
// allowed), a fraction, an exponent, an imaginary 'i'. Nonsense such as "0x" is caught when the
// number is converted, as in Go.
const NUMBER = new RegExp(`[+-]?(?:${[
  '0[xX][0-9a-fA-F_]*(?:\\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]*)?',
  '0[oO][0-7_]*',
  '0[bB][01_]*',
  '[0-9_]*(?:\\.[0-9_]*)?(?:[eE][+-]?[0-9_]*)?',
].join('|')})i?`, 'y');

/** "{{- " trims the white space before the action: a dash, then a space, tab or newline. */
const leftTrimAt = (src: string, p: number) => src[p] === '-' && isSpace(src[p + 1]);
/** " -}}" trims the white space after it. Without the space "{{-3}}" would be ambiguous. */
const rightTrimAt = (src: string, p: number) => isSpace(src[p]) && src[p + 1] === '-' && src.startsWith('}}', p + 2);
const skipSpace = (src: string, p: number) => { while (isSpace(src[p])) p++; return p; };

/** Go's %#U: U+0023 '#'. */
const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;

function lex(src: string): Token[] {
  const toks: Token[] = [];
  const fail = (pos: number, msg: string): never => { throw new TemplateError(`template: ${where(src, pos)}: ${msg}`); };
  // The end of a right delimiter, after the white space a trim marker removes; undefined if `p` is
  // not at one.
  const rightDelimAt = (p: number): number | undefined =>
    src.startsWith('}}', p) ? p + 2 : rightTrimAt(src, p) ? skipSpace(src, p + 4) : undefined;
  // Whether the word that ends at `p` ends properly: identifiers, fields and variables must be
  // followed by a space, punctuation that can follow them, or the right delimiter.
  const atTerminator = (p: number) => p >= src.length || isSpace(src[p]) || '.,|:)(}'.includes(src[p]);

  /** One action, from its "{{"; returns where the text after it starts. */
  const action = (open: number): number => {
    let p = open + 2;
    if (leftTrimAt(src, p)) p += 2;
    if (src.startsWith('/*', p)) {
      // A comment must fill the whole action: {{/* ... */}}, trim markers allowed.
      const close = src.indexOf('*/', p + 2);
      if (close < 0) fail(open, 'unclosed comment');
      return rightDelimAt(close + 2) ?? fail(open, 'comment ends before closing delimiter');
    }
    toks.push({ type: 'leftDelim', pos: open, val: '{{' });
    let depth = 0;
    for (;;) {
      const end = rightDelimAt(p);
      if (end !== undefined) {
        if (depth > 0) fail(p, 'unclosed left paren');
        toks.push({ type: 'rightDelim', pos: p, val: '}}' });
        return end;
      }
      if (p >= src.length) fail(open, 'unclosed action');
      const start = p;
      const emit = (type: TokenType, to: number) => { toks.push({ type, pos: start, val: src.slice(start, to) }); p = to; };
      const word = (from: number) => { ALNUM_RUN.lastIndex = from; ALNUM_RUN.exec(src); return ALNUM_RUN.lastIndex; };
      const c = src[p];
      if (isSpace(c)) {
        let q = p;
        while (isSpace(src[q]) && !rightTrimAt(src, q)) q++; // the space of " -}}" belongs to it
        emit('space', q);
      } else if (c === ':') {
        if (src[p + 1] !== '=') fail(p, 'expected :=');
        emit('declare', p + 2);
      } else if (c === '=') emit('assign', p + 1);
      else if (c === '|') emit('pipe', p + 1);
      else if (c === '(') { depth++; emit('leftParen', p + 1); }
      else if (c === ')') {
        if (--depth < 0) fail(p, `unexpected right paren ${codePoint(c)}`);
        emit('rightParen', p + 1);
      } else if (c === '"' || c === "'") {
        const unterminated = () => fail(p, c === '"' ? 'unterminated quoted string' : 'unterminated character constant');
        let q = p + 1;
        for (;;) {
          if (q >= src.length || src[q] === '\n') unterminated();
          if (src[q] === '\\') {
            if (q + 1 >= src.length || src[q + 1] === '\n') unterminated();
            q += 2;
          } else if (src[q++] === c) break;
        }
        emit(c === '"' ? 'string' : 'char', q);
      } else if (c === '`') {
        const close = src.indexOf('`', p + 1);
        if (close < 0) fail(p, 'unterminated raw quoted string');
        emit('rawString', close + 1);
      } else if ((c === '$' || c === '.') && !(c === '.' && /[0-9]/.test(src[p + 1] ?? ''))) {
        // "$" alone is the root, "." alone is dot; "$x" a variable, ".Name" a field. ".A.B" is two
        // field tokens, joined by the parser.
        const end = atTerminator(p + 1) ? p + 1 : word(p + 1);
        if (!atTerminator(end)) fail(end, `bad character ${codePoint(String.fromCodePoint(src.codePointAt(end)!))}`);
        emit(c === '$' ? 'variable' : end === p + 1 ? 'dot' : 'field', end);
      } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
        NUMBER.lastIndex = p;
        NUMBER.exec(src);
        let end = NUMBER.lastIndex;
        if (isAlnum(src[end]) || src[end] === '+' || src[end] === '-') {
          end += 1;
          fail(p, `bad number syntax: ${goQuote(src.slice(p, end))}`);
        }
        emit('number', end);
      } else if (isAlnum(c)) {
        const end = word(p);
        if (!atTerminator(end)) fail(end, `bad character ${codePoint(String.fromCodePoint(src.codePointAt(end)!))}`);
        const w = src.slice(p, end);
        emit(KEYWORDS.has(w) ? 'keyword' : w === 'true' || w === 'false' ? 'bool' : w === 'nil' ? 'nil' : 'identifier', end);
      } else if (c >= ' ' && c <= '~') emit('other', p + 1); // ',' and stray punctuation; the parser decides
      else fail(p, `unrecognized character in action: ${codePoint(String.fromCodePoint(src.codePointAt(p)!))}`);
    }
  };

  let pos = 0;
  for (;;) {
    const open = src.indexOf('{{', pos);
    const end = open < 0 ? src.length : open;
    // "{{- " removes all the white space before it, newlines included.
    let textEnd = end;
    if (open >= 0 && leftTrimAt(src, open + 2)) while (textEnd > pos && isSpace(src[textEnd - 1])) textEnd--;
    if (textEnd > pos) toks.push({ type: 'text', pos, val: src.slice(pos, textEnd) });
    if (open < 0) break;
    pos = action(open);
  }
  toks.push({ type: 'eof', pos: src.length, val: '' });
  return toks;
}

// ---------------------------------------------------------------------------------------------
// The tree

interface Pipe { pos: number; decl: string[]; isAssign: boolean; cmds: Command[] }
interface Command { pos: number; args: Operand[] }
type Operand =
  | { kind: 'field'; pos: number; names: string[] } // .A.B
  | { kind: 'variable'; pos: number; name: string; names: string[] } // $x.A
  | { kind: 'chain'; pos: number; node: Operand; names: string[] } // (pipeline).A
  | { kind: 'pipe'; pos: number; pipe: Pipe } // (pipeline)
  | { kind: 'identifier'; pos: number; name: string } // a function
  | { kind: 'dot'; pos: number }
  | { kind: 'nil'; pos: number }
  | { kind: 'literal'; pos: number; value: string | number | boolean; text: string };
interface Control { kind: 'if' | 'with' | 'range'; pos: number; pipe: Pipe; list: Node[]; elseList?: Node[] }
type Node = { kind: 'text'; text: string } | { kind: 'action'; pos: number; pipe: Pipe } | Control;
/** What an {{end}} or {{else}} gives back to the list it ends. */
interface Marker { kind: 'end' | 'else'; pos: number }
const isMarker = (n: Node | Marker): n is Marker => n.kind === 'end' || n.kind === 'else';

// Go's String() of a node, used in "executing ... at <node>".
const showPipe = (p: Pipe): string =>
  (p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '') + p.cmds.map(showCommand).join(' | ');
const showCommand = (c: Command) => c.args.map(showOperand).join(' ');
function showOperand(o: Operand): string {
  const fields = (names: string[]) => names.map((n) => '.' + n).join('');
  switch (o.kind) {
    case 'field': return fields(o.names);
    case 'variable': return o.name + fields(o.names);
    case 'chain': return showOperand(o.node) + fields(o.names);
    case 'pipe': return `(${showPipe(o.pipe)})`;
    case 'identifier': return o.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'literal': return o.text;
  }
}

/** Go's item.String(), for "unexpected X in Y". */
function showToken(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'keyword' || t.type === 'dot' || t.type === 'nil') return `<${t.val}>`;
  const chars = [...t.val];
  return chars.length > 10 ? goQuote(chars.slice(0, 10).join('')) + '...' : goQuote(t.val);
}

/** A string literal's value: Go's escapes in "...", nothing in `...` (carriage returns dropped). */
function unquote(raw: string, fail: (msg: string) => never): string {
  if (raw[0] === '`') return raw.slice(1, -1).replace(/\r/g, '');
  const quote = raw[0];
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    if (raw[i] !== '\\') { out += raw[i]; continue; }
    const e = raw[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    const hexLen = ({ x: 2, u: 4, U: 8 } as Record<string, number>)[e];
    if (e in simple) out += simple[e];
    else if (e === quote) out += e; // \" in "..." and \' in '...' only
    else if (hexLen) {
      const hex = raw.slice(i + 1, i + 1 + hexLen);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLen || parseInt(hex, 16) > 0x10ffff) fail('invalid syntax');
      out += String.fromCodePoint(parseInt(hex, 16));
      i += hexLen;
    } else if (/[0-7]/.test(e)) {
      const oct = raw.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) fail('invalid syntax');
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else fail('invalid syntax');
  }
  return out;
}

/** A number literal's value, as Go's strconv reads it (a leading 0 means octal); undefined if bad. */
function parseNumber(text: string): number | undefined {
  let s = text.replace(/_/g, '');
  const sign = s[0] === '-' ? -1 : 1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  const radix = ([[/^0[xX][0-9a-fA-F]+$/, 16, 2], [/^0[oO][0-7]+$/, 8, 2], [/^0[bB][01]+$/, 2, 2], [/^0[0-7]+$/, 8, 1]] as const)
    .find(([re]) => re.test(s));
  if (radix) return sign * parseInt(s.slice(radix[2]), radix[1]);
  return /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? sign * Number(s) : undefined;
}

const OPERAND_START = new Set<TokenType>([
  'bool', 'char', 'number', 'dot', 'field', 'identifier', 'nil', 'rawString', 'string', 'variable', 'leftParen',
]);

/** A port of Go's parse.Tree, without define, template, block, break and continue. */
class Parser {
  private i = 0;
  /** Variables in scope, for "undefined variable"; `$` (the data) always is. */
  private vars = ['$'];

  constructor(private src: string, private toks: Token[], private funcs: Funcs) {}

  private fail(pos: number, msg: string): never {
    throw new TemplateError(`template: ${where(this.src, pos)}: ${msg}`);
  }
  private unexpected(t: Token, context: string): never {
    return this.fail(t.pos, `unexpected ${showToken(t)} in ${context}`);
  }
  private next(): Token { return this.toks[Math.min(this.i++, this.toks.length - 1)]; }
  private backup() { this.i--; }
  private peek(): Token { return this.toks[Math.min(this.i, this.toks.length - 1)]; }
  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next(); while (t.type === 'space');
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    return t.type === type ? t : this.unexpected(t, context);
  }

  parse(): Node[] {
    const root: Node[] = [];
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (isMarker(n)) this.fail(n.pos, `unexpected {{${n.kind}}}`);
      else root.push(n);
    }
    return root;
  }

  private textOrAction(): Node | Marker {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { kind: 'text', text: t.val };
    if (t.type === 'leftDelim') return this.action(t.pos);
    return this.unexpected(t, 'input');
  }

  private action(open: number): Node | Marker {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'if': case 'with': case 'range': return this.control(t.val, open);
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: open };
        case 'else': {
          // "{{else if ...}}" is "{{else}}{{if ...}}...{{end}}" with the inner {{end}} implied:
          // leave the "if" for control() to find.
          const peek = this.peekNonSpace();
          if (peek.type === 'keyword' && (peek.val === 'if' || peek.val === 'with')) return { kind: 'else', pos: open };
          this.expect('rightDelim', 'else');
          return { kind: 'else', pos: open };
        }
        default: this.fail(t.pos, `{{${t.val}}} is not supported by nestbox's templates`);
      }
    }
    this.backup();
    return { kind: 'action', pos: this.peek().pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private control(kind: Control['kind'], open: number): Control {
    const mark = this.vars.length; // variables declared from here on end with {{end}}
    const pipe = this.pipeline(kind, 'rightDelim');
    const [list, next] = this.itemList(kind, open);
    let elseList: Node[] | undefined;
    if (next.kind === 'else') {
      const t = this.peek();
      if (kind !== 'range' && t.type === 'keyword' && t.val === kind) {
        this.next();
        elseList = [this.control(kind, next.pos)];
      } else {
        const [list2, end] = this.itemList(kind, open);
        if (end.kind !== 'end') this.fail(end.pos, 'expected end; found {{else}}');
        elseList = list2;
      }
    }
    this.vars.length = mark;
    return { kind, pos: pipe.pos, pipe, list, elseList };
  }

  /** Nodes up to the {{end}} or {{else}} that ends them. */
  private itemList(kind: string, open: number): [Node[], Marker] {
    const list: Node[] = [];
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (isMarker(n)) return [list, n];
      list.push(n);
    }
    // Go says "unexpected EOF" where the text ends; pointing at the {{if}} that has no {{end}} helps more.
    return this.fail(open, `unexpected EOF: {{${kind}}} has no {{end}}`);
  }

  private pipeline(context: string, end: TokenType): Pipe {
    const pipe: Pipe = { pos: this.peekNonSpace().pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: "$x :=", "$x =", and in range "$i, $e :=".
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const at = this.i;
      this.next();
      const t = this.nextNonSpace();
      if (t.type === 'declare' || t.type === 'assign') {
        pipe.isAssign = t.type === 'assign';
        if (pipe.isAssign && !this.vars.includes(v.val)) this.fail(v.pos, `undefined variable "${v.val}"`);
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        break;
      }
      if (t.type === 'other' && t.val === ',') {
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.type === 'variable') continue;
          this.fail(p.pos, 'range can only initialize variables');
        }
        this.fail(v.pos, `too many declarations in ${context}`);
      }
      this.i = at; // "$x" is an operand, not a declaration
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) break;
      if (!OPERAND_START.has(t.type)) this.unexpected(t, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
    if (!pipe.cmds.length) this.fail(pipe.pos, `missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      // In A | B, B receives A's value as its last argument: it must be something that can take one.
      if (['literal', 'dot', 'nil'].includes(c.args[0].kind)) this.fail(c.pos, `non executable command in pipeline stage ${i + 2}`);
    });
    return pipe;
  }

  private command(): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (!cmd.args.length) this.fail(cmd.pos, 'empty command');
    return cmd;
  }

  /** A term and the fields right after it, with no space between: .A.B, $x.A, (index . 0).A. */
  private operand(): Operand | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const names: string[] = [];
    while (this.peek().type === 'field') names.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field': case 'variable': return { ...node, names: [...node.names, ...names] };
      case 'literal': case 'dot': case 'nil': return this.fail(node.pos, `unexpected . after term ${goQuote(showOperand(node))}`);
      default: return { kind: 'chain', pos: node.pos, node, names };
    }
  }

  private term(): Operand | undefined {
    const t = this.nextNonSpace();
    const pos = t.pos;
    switch (t.type) {
      case 'identifier': {
        // Go checks function names when it parses, not when it runs.
        if (UNSUPPORTED.has(t.val)) this.fail(pos, `function "${t.val}" is not supported by nestbox's templates`);
        if (!Object.prototype.hasOwnProperty.call(this.funcs, t.val)) this.fail(pos, `function "${t.val}" not defined`);
        return { kind: 'identifier', pos, name: t.val };
      }
      case 'dot': return { kind: 'dot', pos };
      case 'nil': return { kind: 'nil', pos };
      case 'variable':
        if (!this.vars.includes(t.val)) this.fail(pos, `undefined variable "${t.val}"`);
        return { kind: 'variable', pos, name: t.val, names: [] };
      case 'field': return { kind: 'field', pos, names: [t.val.slice(1)] };
      case 'bool': return { kind: 'literal', pos, value: t.val === 'true', text: t.val };
      case 'number': {
        if (t.val.endsWith('i')) this.fail(pos, `complex numbers are not supported: ${t.val}`);
        const value = parseNumber(t.val);
        if (value === undefined) this.fail(pos, `illegal number syntax: ${goQuote(t.val)}`);
        return { kind: 'literal', pos, value, text: t.val };
      }
      case 'char': {
        // 'a' is a number (the rune), as in Go.
        const chars = [...unquote(t.val, (msg) => this.fail(pos, msg))];
        if (chars.length !== 1) this.fail(pos, `malformed character constant: ${t.val}`);
        return { kind: 'literal', pos, value: chars[0].codePointAt(0)!, text: t.val };
      }
      case 'string': case 'rawString':
        return { kind: 'literal', pos, value: unquote(t.val, (msg) => this.fail(pos, msg)), text: t.val };
      case 'leftParen': return { kind: 'pipe', pos, pipe: this.pipeline('parenthesized pipeline', 'rightParen') };
    }
    this.backup();
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Values

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An object's keys as Go sees a map's: sorted (fmt prints maps sorted, range visits them sorted),
 * without undefined values (absent) or functions (methods, not entries).
 */
const mapKeys = (o: Obj) => Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function').sort();

/** A field: own properties, and the getters and methods of a class; never Object.prototype's. */
function property(o: Obj, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  return name in o && !(name in Object.prototype) ? o[name] : undefined;
}

/** The Go type a value stands for, as Go's messages name it. */
function goType(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(v) ? 'int' : 'float64';
    case 'bigint': return 'int64';
    case 'function': return 'func';
    default: return 'map[string]interface {}';
  }
}

/** Go's truth: false, 0, "", nil, and empty slices and maps are false. */
function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return mapKeys(v).length > 0;
  return v !== false && v !== 0 && v !== '' && v !== 0n;
}

/** strconv.Quote: double quotes, Go's escapes, printable Unicode kept as it is. */
function goQuote(s: string, quote = '"'): string {
  const escapes: Record<string, string> = {
    '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\',
  };
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote) out += '\\' + ch;
    else if (escapes[ch]) out += escapes[ch];
    else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) out += ch;
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + quote;
}

/** Go's exponent form: two digits at least (1e+06, not 1e+6). */
const goExponent = (s: string) => s.replace(/e([+-])(\d)$/, 'e$10$2');

/**
 * %g, which %v uses for floats. Without a precision Go prints the shortest digits that read back
 * as the same number, in exponent form when the exponent is below -4 or at least 6 (strconv's
 * "use precision 6 for this decision"): fmt prints 1234567.5 as 1.2345675e+06.
 */
function formatG(x: number, prec?: number): string {
  if (prec === undefined) {
    const exp = Number(x.toExponential().split('e')[1]);
    return exp < -4 || exp >= 6 ? goExponent(x.toExponential()) : String(x);
  }
  const p = Math.max(prec, 1);
  const [m, e] = x.toExponential(p - 1).split('e');
  const exp = Number(e);
  const mantissa = m.includes('.') ? m.replace(/\.?0+$/, '') : m; // %g drops trailing zeros
  const digits = mantissa.replace('.', '').length;
  const eprec = p > digits && digits >= exp + 1 ? digits : p;
  if (exp < -4 || exp >= eprec) return goExponent(`${mantissa}e${e}`);
  return Number(`${mantissa}e${e}`).toFixed(Math.max(digits - 1 - exp, 0));
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(n)) return String(n);
  return (n < 0 ? '-' : '') + formatG(Math.abs(n));
}

/** fmt's %v: [a b c] for slices, map[k:v] for maps (keys sorted), <nil> for nil. */
function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isObject(v)) return `map[${mapKeys(v).map((k) => `${k}:${formatValue(v[k])}`).join(' ')}]`;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'function') return '<func>';
  return String(v);
}

/** What an action prints: a missing value is "<no value>", anything else as fmt's %v. */
const printValue = (v: unknown) => (v === undefined ? '<no value>' : formatValue(v));

// ---------------------------------------------------------------------------------------------
// printf

interface Spec { minus: boolean; plus: boolean; sharp: boolean; space: boolean; zero: boolean; width?: number; prec?: number }

/** Pad to the width, counting code points as Go does (it counts runes, not terminal columns). */
function pad(s: string, spec: Spec): string {
  const n = [...s].length;
  if (spec.width === undefined || n >= spec.width) return s;
  const fill = ' '.repeat(spec.width - n);
  return spec.minus ? s + fill : fill + s;
}

/** A signed number's sign and digits, with zero padding after the sign (%05d of -42: -0042). */
function padNumber(negative: boolean, prefix: string, digits: string, spec: Spec): string {
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (spec.zero && !spec.minus && spec.width !== undefined) digits = digits.padStart(spec.width - sign.length - prefix.length, '0');
  return pad(sign + prefix + digits, spec);
}

function formatInteger(n: number, base: number, upper: boolean, spec: Spec): string {
  let digits = Math.abs(n).toString(base);
  if (upper) digits = digits.toUpperCase();
  if (spec.prec !== undefined) digits = spec.prec === 0 && n === 0 ? '' : digits.padStart(spec.prec, '0');
  const prefix = spec.sharp ? ({ 16: upper ? '0X' : '0x', 8: '0', 2: '0b' } as Record<number, string>)[base] ?? '' : '';
  return padNumber(n < 0, prefix, digits, { ...spec, zero: spec.zero && spec.prec === undefined });
}

function formatFloat(n: number, verb: string, spec: Spec): string {
  if (!Number.isFinite(n)) return pad(formatNumber(n), spec); // +Inf, -Inf, NaN are never zero-padded
  const x = Math.abs(n);
  const digits = verb === 'f' || verb === 'F' ? x.toFixed(spec.prec ?? 6)
    : verb === 'e' ? goExponent(x.toExponential(spec.prec ?? 6))
    : formatG(x, spec.prec);
  return padNumber(n < 0 || Object.is(n, -0), '', digits, spec);
}

/** One operand of printf. A verb that does not fit the value prints as Go does: %!d(string=hi). */
function formatArg(v: unknown, verb: string, spec: Spec): string {
  const bad = () => (v === undefined || v === null ? `%!${verb}(<nil>)` : `%!${verb}(${goType(v)}=${formatValue(v)})`);
  if (v === undefined || v === null) return verb === 'v' ? pad('<nil>', spec) : bad();
  // Go applies the verb to each element of a slice or map.
  if (Array.isArray(v)) return `[${v.map((e) => formatArg(e, verb, spec)).join(' ')}]`;
  if (isObject(v)) return `map[${mapKeys(v).map((k) => `${formatArg(k, verb, spec)}:${formatArg(v[k], verb, spec)}`).join(' ')}]`;
  if (typeof v === 'string') {
    const s = spec.prec === undefined ? v : [...v].slice(0, spec.prec).join('');
    if (verb === 's' || verb === 'v') return pad(s, spec);
    if (verb === 'q') return pad(goQuote(s), spec);
    if (verb === 'x' || verb === 'X') {
      const hex = Buffer.from(s).toString('hex');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
    }
    return bad();
  }
  if (typeof v === 'boolean') return verb === 't' || verb === 'v' ? pad(String(v), spec) : bad();
  if (typeof v === 'number') {
    // JavaScript has one number type; an integer takes the int verbs, and, unlike Go's ints, the
    // float ones too (JSON's 3 may well have been a float64 3.0 on Docker's side).
    if (Number.isInteger(v)) {
      switch (verb) {
        case 'd': case 'v': return formatInteger(v, 10, false, spec);
        case 'x': case 'X': return formatInteger(v, 16, verb === 'X', spec);
        case 'o': return formatInteger(v, 8, false, spec);
        case 'b': return formatInteger(v, 2, false, spec);
        case 'c': return pad(String.fromCodePoint(v), spec);
        case 'q': return pad(goQuote(String.fromCodePoint(v), "'"), spec);
      }
    }
    if ('vgfFe'.includes(verb)) return formatFloat(v, verb, spec);
  }
  return bad();
}

/** fmt.Sprintf for the verbs people use (%s %v %d %q %t %f %e %g %x %X %o %b %c), with flags, width and precision. */
function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  const SPEC = /([-+# 0]*)(\d*)(?:\.(\d*))?/y;
  for (let i = 0; i < format.length;) {
    const pct = format.indexOf('%', i);
    if (pct < 0) { out += format.slice(i); break; }
    out += format.slice(i, pct);
    SPEC.lastIndex = pct + 1;
    const [, flags, width, prec] = SPEC.exec(format)!;
    i = SPEC.lastIndex;
    if (i >= format.length) { out += '%!(NOVERB)'; break; }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') { out += '%'; continue; }
    if (next >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    const spec: Spec = {
      minus: flags.includes('-'), plus: flags.includes('+'), sharp: flags.includes('#'),
      space: flags.includes(' '), zero: flags.includes('0'),
      width: width ? Number(width) : undefined, prec: prec === undefined ? undefined : Number(prec || 0),
    };
    out += formatArg(args[next++], verb, spec);
  }
  if (next < args.length) {
    out += `%!(EXTRA ${args.slice(next).map((a) => (a == null ? '<nil>' : `${goType(a)}=${formatValue(a)}`)).join(', ')})`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Functions

/** A wrong argument type; Go reports these without "error calling". */
class ArgTypeError extends Error {}

interface Func { min: number; max: number; call: (args: unknown[]) => unknown }
type Funcs = Readonly<Record<string, Func>>;
const fixed = (n: number, call: Func['call']): Func => ({ min: n, max: n, call });
const variadic = (min: number, call: Func['call']): Func => ({ min, max: Infinity, call });

function str(v: unknown, type = 'string'): string {
  if (typeof v === 'string') return v;
  throw new ArgTypeError(v == null ? `invalid value; expected ${type}` : `wrong type for value; expected ${type}; got ${goType(v)}`);
}

/**
 * strings.Title: upper-case each letter that follows a separator, which is white space or any ASCII
 * character but a letter, a digit or "_" (so "foo_bar-baz" is "Foo_bar-Baz").
 */
function title(s: string): string {
  const isSeparator = (ch: string) =>
    ch.codePointAt(0)! < 0x80 ? !/[0-9A-Za-z_]/.test(ch) : !/[\p{L}\p{Nd}]/u.test(ch) && /\s/u.test(ch);
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const separator = isSeparator(prev);
    const up = ch.toUpperCase();
    out += separator && [...up].length === 1 ? up : ch; // Go maps one rune to one rune: ß stays ß
    prev = ch;
  }
  return out;
}

function len(v: unknown): number {
  // Go's len of a string counts bytes, not characters: len "é" is 2.
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return mapKeys(v).length;
  throw new Error(v == null ? 'len of nil pointer' : `len of type ${goType(v)}`);
}

function index(item: unknown, keys: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  for (const key of keys) {
    if (item === undefined || item === null) throw new Error('index of nil pointer');
    if (Array.isArray(item) || typeof item === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key)) {
        throw new Error(key == null ? 'cannot index slice/array with nil' : `cannot index slice/array with type ${goType(key)}`);
      }
      // A string indexes by byte and gives a number, as in Go.
      const seq = typeof item === 'string' ? Buffer.from(item) : item;
      if (key < 0 || key >= seq.length) throw new Error(`index out of range: ${key}`);
      item = seq[key];
    } else if (isObject(item)) {
      if (typeof key !== 'string') throw new Error(`value has type ${goType(key)}; should be string`);
      // A missing key gives the zero value of the map's element type. A JavaScript object does not
      // say what that type is; the maps people index are Docker's map[string]string (labels,
      // options), whose zero value is "", so that is what a missing key gives here.
      item = Object.prototype.hasOwnProperty.call(item, key) && item[key] !== undefined ? item[key] : '';
    } else throw new Error(`can't index item of type ${goType(item)}`);
  }
  return item;
}

type Basic = 'string' | 'number' | 'boolean';
const basicKind = (v: unknown): Basic | undefined =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? typeof v as Basic : undefined;

/** eq's comparison: basic values of one kind; nil equals only nil (Go 1.18 and later). */
function equal(a: unknown, b: unknown): boolean {
  if (a == null || b == null) return a == null && b == null;
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (!ka) throw new Error(`non-comparable type ${goType(a)}`);
  return a === b;
}

function less(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (!ka || !kb || ka === 'boolean' || kb === 'boolean') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (a as string | number) < (b as string | number);
}

/** Go's builtins (and and or short-circuit: see Exec.callFunction) and Docker's basicFunctions. */
const FUNCS: Funcs = {
  and: variadic(1, () => undefined),
  or: variadic(1, () => undefined),
  not: fixed(1, ([a]) => !isTrue(a)),
  len: fixed(1, ([a]) => len(a)),
  index: variadic(1, ([item, ...keys]) => index(item, keys)),
  // fmt.Sprint puts a space between two operands only when neither is a string.
  print: variadic(0, (args) => args.map((a, i) => {
    const space = i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string';
    return (space ? ' ' : '') + formatValue(a);
  }).join('')),
  printf: variadic(1, ([format, ...args]) => sprintf(str(format), args)),
  println: variadic(0, (args) => args.map(formatValue).join(' ') + '\n'),
  eq: variadic(1, ([a, ...bs]) => {
    if (!bs.length) throw new Error('missing argument for comparison');
    return bs.some((b) => equal(a, b));
  }),
  ne: fixed(2, ([a, b]) => !equal(a, b)),
  lt: fixed(2, ([a, b]) => less(a, b)),
  le: fixed(2, ([a, b]) => less(a, b) || equal(a, b)),
  gt: fixed(2, ([a, b]) => !less(a, b) && !equal(a, b)),
  ge: fixed(2, ([a, b]) => !less(a, b)),
  // Docker's json: Go's encoder with HTML escaping off, the newline cut: no spaces, and U+2028 and
  // U+2029 escaped even so. Keys stay in the object's order, as Go keeps a struct's fields in
  // order (it would sort a map's keys; an object does not say which it stands for). Docker ignores
  // the encoder's errors: the result is then empty.
  json: fixed(1, ([v]) => {
    try {
      const json = JSON.stringify(v === undefined ? null : v) ?? 'null';
      return json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    } catch {
      return '';
    }
  }),
  // strings.Split with "" splits between every character.
  split: fixed(2, ([s, sep]) => (str(sep) === '' ? [...str(s)] : str(s).split(str(sep)))),
  join: fixed(2, ([list, sep]) => {
    if (Array.isArray(list) && list.every((e) => typeof e === 'string')) return list.join(str(sep));
    throw new ArgTypeError(list == null ? 'invalid value; expected []string'
      : `wrong type for value; expected []string; got ${goType(list)}`);
  }),
  lower: fixed(1, ([s]) => str(s).toLowerCase()),
  upper: fixed(1, ([s]) => str(s).toUpperCase()),
  title: fixed(1, ([s]) => title(str(s))),
};

/**
 * Docker's HeaderFunctions: the header row runs the same template on the map of header names,
 * with these in place of Docker's functions, so that {{upper .Names}} shows NAMES and {{join .Names
 * ", "}} does not try to join it. Each gives back its first argument, which must be a string (the
 * header text), as Docker's do; {{json .}} therefore fails, and leaves its column's header empty.
 */
const keepHeader = (args: number) => fixed(args, ([v]) => str(v));
const HEADER_FUNCS: Funcs = {
  ...FUNCS,
  json: keepHeader(1), split: keepHeader(2), join: keepHeader(2), lower: keepHeader(1), upper: keepHeader(1), title: keepHeader(1),
};

/** Go's and Docker's functions that nestbox leaves out: said so when the template is parsed. */
const UNSUPPORTED = new Set(['call', 'html', 'js', 'urlquery', 'slice', 'pad', 'truncate']);

// ---------------------------------------------------------------------------------------------
// Running a template

/** No value piped in (Go's missingVal): distinct from undefined, which is a value that is missing. */
const NONE = Symbol('none');

class Exec {
  out = '';
  private vars: { name: string; value: unknown }[];

  constructor(private src: string, private funcs: Funcs, data: unknown) {
    this.vars = [{ name: '$', value: data }];
  }

  /** Go's "executing" error: where, and the node (cut at 20 characters, as Go does). */
  private fail(pos: number, node: string, msg: string): never {
    const context = [...node].length > 20 ? [...node].slice(0, 20).join('') + '...' : node;
    throw new TemplateError(`template: ${where(this.src, pos)}: executing "" at <${context}>: ${msg}`);
  }

  walk(nodes: Node[], dot: unknown): void {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text': this.out += n.text; break;
        case 'action': {
          // Variables declared here stay until the {{end}} of the enclosing block; a declaration
          // prints nothing.
          const v = this.pipeline(n.pipe, dot);
          if (!n.pipe.decl.length) this.out += printValue(v);
          break;
        }
        case 'if': case 'with': {
          const mark = this.vars.length;
          const v = this.pipeline(n.pipe, dot);
          if (isTrue(v)) this.walk(n.list, n.kind === 'with' ? v : dot);
          else if (n.elseList) this.walk(n.elseList, dot);
          this.vars.length = mark;
          break;
        }
        case 'range': this.range(n, dot); break;
      }
    }
  }

  private range(n: Control, dot: unknown): void {
    const mark = this.vars.length;
    const val = this.pipeline(n.pipe, dot, false);
    const { decl, isAssign } = n.pipe;
    const bind = (name: string, value: unknown) => {
      if (isAssign) this.setVar(name, value, n.pos);
      else this.vars.push({ name, value });
    };
    let ran = false;
    const iteration = (key: unknown, elem: unknown) => {
      ran = true;
      const m = this.vars.length;
      // One variable gets the element; two get the index (or key) and the element.
      if (decl.length === 1) bind(decl[0], elem);
      if (decl.length === 2) { bind(decl[0], key); bind(decl[1], elem); }
      this.walk(n.list, elem);
      this.vars.length = m;
    };
    if (Array.isArray(val)) val.forEach((e, i) => iteration(i, e));
    else if (isObject(val)) for (const k of mapKeys(val)) iteration(k, val[k]); // in key order, as Go
    else if (typeof val === 'number' && Number.isInteger(val)) {
      // Go 1.22: {{range 3}} counts 0, 1, 2.
      if (decl.length > 1) this.fail(n.pos, showPipe(n.pipe), `can't use ${val} to iterate over more than one variable`);
      for (let i = 0; i < val; i++) iteration(i, i);
    } else if (val !== undefined && val !== null) {
      // Nothing (a missing value, nil) runs {{else}}; anything else that is not a list is an error.
      this.fail(n.pos, showPipe(n.pipe), `range can't iterate over ${formatValue(val)}`);
    }
    if (!ran && n.elseList) this.walk(n.elseList, dot);
    this.vars.length = mark;
  }

  private pipeline(pipe: Pipe, dot: unknown, declare = true): unknown {
    let value: unknown = NONE;
    // Each command's value is the next one's last argument.
    for (const cmd of pipe.cmds) value = this.command(cmd, dot, value);
    if (declare) {
      for (const name of pipe.decl) {
        if (pipe.isAssign) this.setVar(name, value, pipe.pos);
        else this.vars.push({ name, value });
      }
    }
    return value;
  }

  private lookupVar(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return undefined; // the parser has checked that it is declared
  }

  private setVar(name: string, value: unknown, pos: number): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) { this.vars[i].value = value; return; }
    }
    this.fail(pos, name, `undefined variable: ${name}`);
  }

  private command(cmd: Command, dot: unknown, final: unknown): unknown {
    const [first, ...args] = cmd.args;
    switch (first.kind) {
      case 'field': return this.fieldChain(dot, dot, first, first.names, args, final);
      case 'chain': return this.fieldChain(dot, this.arg(first.node, dot), first, first.names, args, final);
      case 'variable': return this.variable(first, dot, args, final);
      case 'identifier': return this.callFunction(first.name, cmd, dot, args, final);
    }
    if (args.length || final !== NONE) {
      this.fail(cmd.pos, showCommand(cmd), `can't give argument to non-function ${showOperand(first)}`);
    }
    switch (first.kind) {
      case 'pipe': return this.pipeline(first.pipe, dot);
      case 'dot': return dot;
      case 'nil': return this.fail(first.pos, 'nil', 'nil is not a command');
      case 'literal': return first.value;
    }
  }

  /** The value of an argument. */
  private arg(a: Operand, dot: unknown): unknown {
    switch (a.kind) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'literal': return a.value;
      case 'field': return this.fieldChain(dot, dot, a, a.names, [], NONE);
      case 'chain': return this.fieldChain(dot, this.arg(a.node, dot), a, a.names, [], NONE);
      case 'variable': return this.variable(a, dot, [], NONE);
      case 'pipe': return this.pipeline(a.pipe, dot);
      case 'identifier': return this.callFunction(a.name, a, dot, [], NONE);
    }
  }

  private variable(v: Extract<Operand, { kind: 'variable' }>, dot: unknown, args: Operand[], final: unknown): unknown {
    const value = this.lookupVar(v.name);
    if (v.names.length) return this.fieldChain(dot, value, v, v.names, args, final);
    if (args.length || final !== NONE) this.fail(v.pos, v.name, `can't give argument to non-function ${v.name}`);
    return value;
  }

  private fieldChain(
    dot: unknown, receiver: unknown, node: Operand, names: string[], args: Operand[], final: unknown,
  ): unknown {
    for (let i = 0; i < names.length - 1; i++) receiver = this.field(dot, names[i], node, [], NONE, receiver);
    return this.field(dot, names[names.length - 1], node, args, final, receiver);
  }

  private field(dot: unknown, name: string, node: Operand, args: Operand[], final: unknown, receiver: unknown): unknown {
    const fail = (msg: string) => this.fail(node.pos, showOperand(node), msg);
    // The fields of a missing value are missing too: {{.Nope.Deeper}} prints "<no value>".
    if (receiver === undefined) return undefined;
    if (receiver === null) fail(`nil pointer evaluating interface {}.${name}`);
    if (!isObject(receiver)) fail(`can't evaluate field ${name} in type ${goType(receiver)}`);
    const value = property(receiver as Obj, name);
    if (typeof value === 'function') {
      // A method, called with the arguments that follow it and the value piped in.
      const argv = args.map((a) => this.arg(a, dot));
      if (final !== NONE) argv.push(final);
      try {
        return value.apply(receiver, argv);
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        fail(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (args.length || final !== NONE) fail(`${name} is not a method but has arguments`);
    return value;
  }

  /** A function call; `at` is the command (or the lone identifier) it comes from, for errors. */
  private callFunction(name: string, at: Command | Operand, dot: unknown, args: Operand[], final: unknown): unknown {
    const fail = (msg: string) => this.fail(at.pos, 'args' in at ? showCommand(at) : showOperand(at), msg);
    const fn = this.funcs[name];
    const count = args.length + (final === NONE ? 0 : 1);
    if (count < fn.min || count > fn.max) {
      fail(`wrong number of args for ${name}: want ${fn.max === Infinity ? 'at least ' : ''}${fn.min} got ${count}`);
    }
    if (name === 'and' || name === 'or') {
      // They stop at the first argument that decides (false for and, true for or) and give that
      // argument itself, not a boolean; the rest are not evaluated.
      let v: unknown;
      for (const a of args) {
        v = this.arg(a, dot);
        if (isTrue(v) === (name === 'or')) return v;
      }
      return final === NONE ? v : final;
    }
    const argv = args.map((a) => this.arg(a, dot));
    if (final !== NONE) argv.push(final);
    try {
      return fn.call(argv);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      return fail(e instanceof ArgTypeError ? msg : `error calling ${name}: ${msg}`);
    }
  }
}

const parse = (src: string) => new Parser(src, lex(src), FUNCS).parse();

function run(src: string, tree: Node[], data: unknown, funcs: Funcs): Exec {
  const exec = new Exec(src, funcs, data);
  exec.walk(tree, data);
  return exec;
}

/**
 * Render a Go template on `data`, as Go's text/template with Docker's functions would. Throws a
 * TemplateError, with Go's message, when the template does not parse or fails on this data.
 */
export function renderTemplate(template: string, data: unknown): string {
  return run(template, parse(template), data, FUNCS).out;
}

/**
 * What Docker does to a --format string before parsing it: the two characters \t become a tab and
 * \n a newline (Go's templates give them no meaning outside quotes, and a shell passes them on as
 * typed). Nothing else is unescaped: \\t is a backslash and a tab, as with Docker's Replacer.
 */
export function dockerFormatEscapes(s: string): string {
  return s.replace(/\\([tn])/g, (_, c: string) => (c === 't' ? '\t' : '\n'));
}

// ---------------------------------------------------------------------------------------------
// Docker's table

/**
 * Align tab-separated cells as Go's text/tabwriter does with Docker's settings, NewWriter(out, 10,
 * 1, 3, ' ', 0): a column is as wide as its widest cell plus 3 spaces, and at least 10.
 *
 * Tabwriter's rules, which surprise: a cell belongs to a column only when a tab ends it, so the last
 * cell of a line is never padded; and a column is a run of consecutive lines that have that cell,
 * so a line with fewer cells splits the columns after it into separate blocks, each with its own
 * width (Go's Writer.format, ported below). Widths are terminal columns (a Chinese character takes
 * two): docker/cli's copy of tabwriter measures cells with go-runewidth, as displayWidth does.
 */
function tabwrite(text: string, minWidth = 10, padding = 3): string {
  // A form feed ends the line and every column, like a flush; it prints as a newline.
  return text.split('\f').map((section) => {
    const lines = section.split('\n').map((line) => line.split(/[\t\v]/));
    const widths: number[] = [];
    const out: string[] = [];
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        // Tab-terminated cells are padded to their column's width; the last cell is left as it is.
        out.push(lines[i].map((cell, j) => (j < widths.length ? cell + ' '.repeat(widths[j] - displayWidth(cell)) : cell)).join(''));
      }
    };
    const format = (line0: number, line1: number): void => {
      const column = widths.length;
      for (let i = line0; i < line1; i++) {
        if (column >= lines[i].length - 1) continue; // no tab-terminated cell in this column
        write(line0, i);
        line0 = i;
        let width = minWidth;
        for (; i < line1 && column < lines[i].length - 1; i++) {
          width = Math.max(width, displayWidth(lines[i][column]) + padding);
        }
        widths.push(width);
        format(line0, i); // the columns to the right, within this block
        widths.pop();
        line0 = i;
      }
      write(line0, line1);
    };
    format(0, lines.length);
    return out.join('\n');
  }).join('\n');
}

/**
 * A Docker --format string applied to rows, as `docker ps --format` prints them, one string per
 * output line. The format goes through Docker's preparation first: a leading "table" is taken off
 * (Docker checks only that the format starts with "table"), the word "json" alone stands for
 * {{json .}}, spaces at both ends are trimmed, and \t and \n are unescaped (dockerFormatEscapes).
 * What "table" alone means (each command's default columns) is the caller's to substitute.
 *
 * With "table", a header line comes first: the same template run on `headers` (field name to
 * header text, e.g. ID -> "CONTAINER ID") with Docker's header functions, and all lines are aligned
 * at their tabs (tabwrite). Docker ignores errors in the header: it prints what was written before
 * the error, and so does this. An error on a row is thrown.
 */
export function formatTable(template: string, rows: unknown[], headers: Record<string, string>): string[] {
  const table = template.startsWith('table');
  // strings.Trim(format, " "): spaces only, then the escapes.
  const format = table ? template.slice('table'.length) : template === 'json' ? '{{json .}}' : template;
  const body = dockerFormatEscapes(format.replace(/^ +| +$/g, ''));
  const tree = parse(body);
  let text = rows.map((row) => run(body, tree, row, FUNCS).out + '\n').join('');
  if (table) {
    const header = new Exec(body, HEADER_FUNCS, headers);
    try {
      header.walk(tree, headers);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
    }
    text = tabwrite(header.out + '\n' + text);
  }
  const lines = text.split('\n');
  lines.pop(); // every line ends with a newline, the last one too
  return lines;
}
