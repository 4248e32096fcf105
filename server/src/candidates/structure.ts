// What a candidate's code may declare, read from its tree after macro expansion (macros.ts): device functions and
// kernels, device/constant/shared data and constexpr constants, types, namespaces holding those, static_assert.
// Everything that would run on the host is refused with the construct and its line:
//  - host functions, also `__host__ __device__` ones and `constexpr` ones without `__device__`: a function compiled
//    for the host can be picked by overload resolution from the harness's or the user's host code (an operator, a
//    better-matching overload of a runtime call), so it is host code even when the candidate never calls it;
//  - `main`; host globals that are not constexpr (their initializers are static initializers: they run before the
//    harness's main) and static data members; thread_local and __managed__ data;
//  - lambdas and `asm` outside device functions (file-scope asm emits host assembly; asm labels rename symbols);
//  - reopening library namespaces (std, cuda, cub, thrust…) or defining names the harness owns;
//  - calls of the host OS (threads, processes, files, environment) anywhere, named as such.
// Dead `#if 0` code is skipped; every other preprocessor branch is checked, whatever its condition.

import type { Node } from 'web-tree-sitter';
import { isCompiledOut } from '../kernels/cuda/preprocessor';
import { pragmaProblem, pragmaWord } from './directives';
import type { Problem } from './problem';
import { reservedReason } from './names';
import { declaredName, functionDeclarator } from './syntax';

/** Namespaces of libraries and of the toolkit: adding to them can change the harness's own calls. */
const LIBRARY_NAMESPACES = new Set(['std', 'cuda', 'cub', 'thrust', 'cooperative_groups', 'nvcuda', 'cutlass', 'cute']);

/** Calls that reach the host's operating system; refused wherever they appear (device code cannot make them either). */
const HOST_OS_CALLS = new Map<string, string>([
  ...['std::thread', 'std::jthread', 'std::async', 'pthread_create', 'thrd_create'].map((n): [string, string] => [n, 'threads']),
  ...['system', 'popen', 'fork', 'vfork', 'execl', 'execlp', 'execle', 'execv', 'execvp', 'execve', 'posix_spawn', 'posix_spawnp', 'std::system'].map((n): [string, string] => [n, 'starts a process']),
  ...['fopen', 'freopen', 'open', 'openat', 'std::ifstream', 'std::ofstream', 'std::fstream', 'std::fopen'].map((n): [string, string] => [n, 'opens a file']),
  ...['getenv', 'secure_getenv', 'setenv', 'putenv', 'std::getenv'].map((n): [string, string] => [n, 'reads or changes the environment']),
  ...['socket', 'connect', 'dlopen', 'dlsym', 'syscall', 'ptrace', 'atexit', 'at_quick_exit', 'std::atexit', 'signal', 'sigaction'].map((n): [string, string] => [n, 'uses an operating-system service']),
]);

const DEVICE_DATA = new Set(['__device__', '__constant__', '__shared__']);

const collapse = (text: string) => text.replace(/\s+/g, '');

export interface StructureContext {
  /** Namespaces the baseline kernel sits in: the candidate's kernel goes there too. */
  kernelNamespaces: ReadonlySet<string>;
}

class StructureCheck {
  readonly problems: Problem[] = [];
  /** Namespaces and types the candidate declares: a qualified definition (`S::f`) must start with one of them. */
  private readonly own = new Set<string>();

  constructor(
    private readonly root: Node,
    private readonly context: StructureContext,
  ) {
    for (const n of root.descendantsOfType(['namespace_definition', 'struct_specifier', 'class_specifier', 'union_specifier', 'enum_specifier', 'alias_declaration', 'type_definition'])) {
      const name = (n?.childForFieldName('name') ?? n?.childForFieldName('declarator'))?.text;
      if (name && !LIBRARY_NAMESPACES.has(name) && !reservedReason(name)) this.own.add(name);
    }
    for (const ns of context.kernelNamespaces) this.own.add(ns);
  }

  private refuse(node: Node, construct: string, reason: string): void {
    this.problems.push({ line: node.startPosition.row, construct, reason });
  }

  run(): Problem[] {
    this.scope(this.root);
    this.everywhere();
    return this.problems;
  }

  /** The items of a namespace-scope block (the file, a namespace or `extern "C"` body, a preprocessor branch). */
  private scope(block: Node, externC = false): void {
    for (const item of block.namedChildren) if (item) this.item(item, externC);
  }

  private item(n: Node, externC: boolean): void {
    if (isCompiledOut(n)) return;
    switch (n.type) {
      case 'comment':
      case 'preproc_include':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'ERROR': // reported by the parse check
      case 'alias_declaration':
      case 'using_declaration':
      case 'namespace_alias_definition':
      case 'static_assert_declaration':
      case 'enum_specifier':
        return;
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'preproc_else':
        for (const c of n.namedChildren) if (c && c.id !== n.childForFieldName('condition')?.id && c.id !== n.childForFieldName('name')?.id) this.item(c, externC);
        return;
      case 'function_definition':
        return this.fn(n, externC);
      case 'declaration':
        this.typeBody(n);
        return this.declaration(n, externC);
      case 'type_definition':
        return this.typeBody(n);
      case 'template_declaration':
        for (const c of n.namedChildren) if (c && c.id !== n.childForFieldName('parameters')?.id) this.item(c, externC);
        return;
      case 'template_instantiation':
        if (!this.specifiers(n).device) this.refuse(n, `explicit instantiation '${oneLine(n.text)}'`, 'only device functions and kernels may be instantiated explicitly in a candidate');
        return;
      case 'namespace_definition':
        return this.namespace(n);
      case 'linkage_specification': {
        const body = n.childForFieldName('body');
        if (body?.type === 'declaration_list') this.scope(body, true);
        else if (body) this.item(body, true);
        return;
      }
      case 'struct_specifier':
      case 'class_specifier':
      case 'union_specifier':
        return this.classBody(n);
      case 'expression_statement': {
        const call = n.namedChildren[0];
        if (call?.type === 'call_expression' && call.childForFieldName('function')?.text === '_Pragma') return; // everywhere()
        if (call?.type === 'gnu_asm_expression') return; // everywhere()
        return this.refuse(n, `statement '${oneLine(n.text)}'`, 'code outside any function: a candidate holds declarations only');
      }
      default:
        this.refuse(n, `${n.type.replace(/_/g, ' ')} '${oneLine(n.text)}'`, 'not something a candidate may hold at namespace scope (device functions, kernels, device/constant data, constexpr constants, types, namespaces, static_assert)');
    }
  }

  private specifiers(n: Node): { global: boolean; device: boolean; host: boolean; data: string | undefined; constexpr: boolean; storage: string[] } {
    const kinds = n.children.map((c) => (c?.type === 'type_qualifier' || c?.type === 'storage_class_specifier' ? c.text : (c?.type ?? '')));
    return {
      global: kinds.includes('__global__'),
      device: kinds.includes('__device__') || kinds.includes('__global__'),
      host: kinds.includes('__host__'),
      data: kinds.find((k) => DEVICE_DATA.has(k) || k === '__managed__'),
      constexpr: kinds.includes('constexpr'),
      storage: n.children.filter((c) => c?.type === 'storage_class_specifier').map((c) => c?.text ?? ''),
    };
  }

  private fn(n: Node, externC: boolean, member = false): void {
    if (n.childForFieldName('body') === null && n.children.some((c) => c?.type === 'default_method_clause' || c?.type === 'delete_method_clause')) return;
    const declarator = functionDeclarator(n);
    const nameNode = declarator?.childForFieldName('declarator');
    const name = nameNode?.text.replace(/\s+/g, '') ?? '?';
    const s = this.specifiers(n);
    if (name === 'main' || name === '::main') return this.refuse(n, 'main', 'a candidate has no entry point: the harness owns main');
    if (s.host && s.device && !s.global) {
      return this.refuse(n, `__host__ __device__ function '${name}'`, 'a function compiled for the host is host code (the harness\'s or your host code could call it through overload resolution): make it __device__ only');
    }
    if (!s.device) {
      const what = `${externC ? 'extern "C" ' : ''}host ${member ? 'member function' : 'function'} '${name}'`;
      const hint = s.constexpr ? 'constexpr alone compiles it for the host: write __device__ constexpr' : 'a candidate brings only device code (__global__ kernels and __device__ functions): mark it __device__ or drop it';
      return this.refuse(n, what, hint);
    }
    this.name(nameNode, n);
  }

  private declaration(n: Node, externC: boolean): void {
    const s = this.specifiers(n);
    for (const d of n.childrenForFieldName('declarator')) {
      if (!d) continue;
      if (d.type === 'gnu_asm_expression') {
        this.refuse(d, `asm label '${oneLine(d.text)}'`, 'an asm label renames a symbol at link time: refused');
        continue;
      }
      const inner = d.type === 'init_declarator' ? d.childForFieldName('declarator') : d;
      const name = declaredName(inner);
      if (functionDeclarator(inner) && !(inner?.type === 'parenthesized_declarator')) {
        if (!s.device || (s.host && !s.global)) this.refuse(n, `${externC ? 'extern "C" ' : ''}host function declaration '${name?.text ?? '?'}'`, 'a candidate declares only device functions and kernels (not __host__ ones)');
        else this.name(name, n);
        continue;
      }
      if (s.data === '__managed__') this.refuse(n, `__managed__ variable '${name?.text ?? '?'}'`, 'managed memory is host-visible state: a candidate keeps its data in __device__, __constant__ or __shared__ memory');
      else if (s.storage.includes('thread_local')) this.refuse(n, `thread_local variable '${name?.text ?? '?'}'`, 'host thread-local state: refused');
      else if (!s.data && !s.constexpr) {
        const init = d.type === 'init_declarator' || n.childForFieldName('type')?.type !== 'primitive_type';
        this.refuse(n, `host global variable '${name?.text ?? '?'}'`, `${init ? 'its initializer runs on the host before main (a static initializer); ' : ''}a candidate's data is __device__, __constant__ or __shared__, and its host-side constants are constexpr`);
      } else this.name(name, n);
    }
  }

  /** `struct S {…} s;`, `typedef struct {…} T;`: the type defined in passing is checked like any other. */
  private typeBody(n: Node): void {
    const type = n.childForFieldName('type');
    if (type && (type.type === 'struct_specifier' || type.type === 'class_specifier' || type.type === 'union_specifier')) this.classBody(type);
  }

  private namespace(n: Node): void {
    const nameNode = n.childForFieldName('name');
    const name = nameNode?.text.replace(/\s+/g, '');
    const first = name?.split('::')[0];
    if (first && !this.context.kernelNamespaces.has(name ?? '') && (LIBRARY_NAMESPACES.has(first) || reservedReason(first))) {
      this.refuse(n, `namespace ${name}`, `${first} belongs to a library, the toolkit or the harness: a candidate may not add to it`);
      return;
    }
    const body = n.childForFieldName('body');
    if (body) this.scope(body);
  }

  private classBody(n: Node): void {
    this.name(n.childForFieldName('name'), n);
    const body = n.childForFieldName('body');
    if (!body) return;
    for (const m of body.namedChildren) {
      if (!m) continue;
      if (m.type === 'function_definition') this.fn(m, false, true);
      else if (m.type === 'friend_declaration') {
        for (const f of m.namedChildren) if (f?.type === 'function_definition') this.fn(f, false, true);
      } else if (m.type === 'template_declaration') {
        for (const f of m.namedChildren) if (f?.type === 'function_definition') this.fn(f, false, true);
      } else if (m.type === 'field_declaration') {
        const s = this.specifiers(m);
        if (s.storage.includes('static') && !s.constexpr && !functionDeclarator(m.childForFieldName('declarator'))) {
          this.refuse(m, `static data member '${oneLine(m.childForFieldName('declarator')?.text ?? '?')}'`, 'a static data member is a host global (initialized before main): make it static constexpr');
        }
        for (const t of m.namedChildren) if (t && (t.type === 'struct_specifier' || t.type === 'class_specifier' || t.type === 'union_specifier')) this.classBody(t);
      }
    }
  }

  /** A declared name: not the harness's, not qualified into something the candidate does not own. */
  private name(nameNode: Node | null | undefined, at: Node): void {
    if (!nameNode) return;
    const text = nameNode.text.replace(/\s+/g, '');
    if (nameNode.type === 'qualified_identifier' || text.includes('::')) {
      const first = text.replace(/^::/, '').split('::')[0].replace(/<.*$/, '');
      if (text.startsWith('::') || !this.own.has(first)) {
        this.refuse(at, `definition of '${text}'`, `'${first || '::'}' is not a namespace or type this candidate declares: a candidate may not add to or specialize other code`);
      }
      return;
    }
    const plain = text.replace(/<.*$/, '');
    const reserved = /^operator\b/.test(plain) || plain.startsWith('~') ? undefined : reservedReason(plain);
    if (reserved && !this.context.kernelNamespaces.has(plain)) this.refuse(at, `'${plain}'`, reserved);
  }

  /** Checks that hold anywhere in the file: pragmas, host OS calls, lambdas and asm outside device code. */
  private everywhere(): void {
    for (const n of this.root.descendantsOfType(['call_expression', 'qualified_identifier', 'lambda_expression', 'gnu_asm_expression'])) {
      if (!n || isCompiledOut(n)) continue;
      if (n.type === 'call_expression') this.call(n);
      else if (n.type === 'qualified_identifier') this.hostOs(n, collapse(n.text));
      else if (!deviceFunctionAround(n) && !hostFunctionAround(n)) {
        if (n.type === 'lambda_expression') this.refuse(n, 'lambda outside a function', 'a lambda at namespace scope is host code (its body runs wherever the host calls it): write a __device__ function');
        else if (n.parent?.type !== 'declaration') this.refuse(n, `file-scope asm '${oneLine(n.text)}'`, 'asm outside a device function emits host assembly: put inline PTX inside a __device__ function');
      }
    }
  }

  private call(n: Node): void {
    const callee = n.childForFieldName('function');
    if (!callee) return;
    if (callee.text === '_Pragma') {
      const argument = n.childForFieldName('arguments')?.namedChildren[0]?.text.replace(/^"|"$/g, '') ?? '';
      const p = pragmaProblem(pragmaWord(argument), n.startPosition.row, '_Pragma');
      if (p) this.problems.push(p);
      return;
    }
    if (callee.type === 'identifier') this.hostOs(n, callee.text);
  }

  private hostOs(n: Node, name: string): void {
    const what = HOST_OS_CALLS.get(name);
    if (what) this.refuse(n, `${name} (${what})`, 'a candidate is kernel code: it does not use the host\'s operating system');
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

function enclosingFunction(node: Node): Node | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return null;
}

function deviceFunctionAround(node: Node): boolean {
  const fn = enclosingFunction(node);
  return !!fn && fn.children.some((c) => c?.type === '__device__' || c?.type === '__global__') && !fn.children.some((c) => c?.type === '__host__');
}

/** Inside a host function, which is refused on its own: one problem for it is enough. */
function hostFunctionAround(node: Node): boolean {
  return enclosingFunction(node) !== null && !deviceFunctionAround(node);
}

/** The structural problems of a candidate's (macro-expanded) tree. */
export function checkStructure(root: Node, context: StructureContext): Problem[] {
  return new StructureCheck(root, context).run();
}
