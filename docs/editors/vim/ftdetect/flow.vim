" flowc: .flow files are dataflow programs (docs/language.md)
autocmd BufRead,BufNewFile *.flow setfiletype flow
