" Vim syntax file for flowc's dataflow language (.flow files; docs/language.md).
" Installed by `make install` into $(PREFIX)/share/vim/vimfiles/syntax/.
if exists("b:current_syntax")
  finish
endif

syn keyword flowKeyword   param type fn extern use let if else as
syn keyword flowBoolean   true false
syn keyword flowType      i64 f64 bool str vec opt stream keyed
syn match   flowTypeName  "\<[A-Z][A-Za-z0-9_]*\>"
syn match   flowNumber    "\<[0-9][0-9_]*\(\.[0-9][0-9_]*\)\=\([eE][+-]\=[0-9]\+\)\=\(ms\|s\|m\|h\|d\)\=\>"
syn match   flowNumber    "\<0x[0-9a-fA-F_]\+\>"
syn region  flowString    start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=flowEscape
syn match   flowEscape    contained +\\[nrt"'\\0]\|\\x[0-9a-fA-F]\{2}+
syn match   flowComment   "//.*$" contains=@Spell
syn region  flowComment   start="/\*" end="\*/" contains=@Spell
syn match   flowOperator  "|\|=>\|->\|==\|!=\|<=\|>=\|&&\|||"
syn match   flowMethod    "\.\zs[a-z_][A-Za-z0-9_]*\ze\s*("

hi def link flowKeyword   Keyword
hi def link flowBoolean   Boolean
hi def link flowType      Type
hi def link flowTypeName  Type
hi def link flowNumber    Number
hi def link flowString    String
hi def link flowEscape    SpecialChar
hi def link flowComment   Comment
hi def link flowOperator  Operator
hi def link flowMethod    Function

let b:current_syntax = "flow"
