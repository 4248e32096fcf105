// Names a candidate may not define (as a macro, function, variable, type or namespace): the harness's own
// (`kp_…`), the CUDA runtime and driver APIs the harness calls (`cuda…`, `cu…`), the implementation's reserved
// names (`__…`, `_X…`: CUDA's qualifiers and the compiler's registration hooks live there), the C++ keywords and
// CUDA's built-in variables, and `main`. Redefining any of them changes code the candidate does not own.

const KEYWORDS = new Set(
  [
    'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class compl concept const',
    'consteval constexpr constinit const_cast continue co_await co_return co_yield decltype default delete do double dynamic_cast else',
    'enum explicit export extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr operator',
    'or or_eq private protected public register reinterpret_cast requires return short signed sizeof static static_assert static_cast',
    'struct switch template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t',
    'while xor xor_eq restrict',
    // CUDA's built-ins and launch vocabulary, and the C++ names every translation unit relies on.
    'threadIdx blockIdx blockDim gridDim warpSize dim3 main std',
  ].join(' ').split(' '),
);

/** Why a candidate may not define `name`; undefined when it may. */
export function reservedReason(name: string): string | undefined {
  if (KEYWORDS.has(name)) return `'${name}' is a keyword or a name every translation unit relies on: a candidate may not redefine it`;
  if (/^kp_/i.test(name)) return `names starting with kp_ belong to the KernelPilot harness`;
  if (/^(cuda|CUDA|cu[A-Z]|CU_)/.test(name)) return `'${name}' is in the CUDA runtime's or driver's namespace, which the harness calls: choose another name`;
  if (/^(__|_[A-Z])/.test(name)) return `'${name}' is reserved for the compiler and CUDA (names starting with __ or _ and a capital): choose another name`;
  return undefined;
}
