//! Which scripts an ES5-only browser (Internet Explorer 11) cannot parse, like es-check with
//! `ecmaVersion: 5`: the script is parsed with a modern parser (oxc) and every syntax node
//! newer than ES5 is reported with its line and column.

use oxc_allocator::Allocator;
use oxc_ast::ast::*;
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};
use oxc_syntax::scope::ScopeFlags;

/// One piece of post-ES5 syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// What it is, e.g. "arrow function".
    pub feature: &'static str,
}

/// A script no browser can parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Post-ES5 syntax in `src`, first occurrence of each kind per line, in source order.
pub fn violations(src: &str) -> Result<Vec<Violation>, SyntaxError> {
    let alloc = Allocator::default();
    let parsed = Parser::new(&alloc, src, SourceType::unambiguous()).parse();
    let lines = LineIndex::new(src);
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let (offset, message) = parsed
            .diagnostics
            .errors()
            .next()
            .map(|d| (d.labels.first().map_or(0, |l| l.offset()), d.message.to_string()))
            .unwrap_or((0, "the parser gave up".into()));
        let (line, column) = lines.line_col(src, offset);
        return Err(SyntaxError { line, column, message });
    }
    let mut v = Es5Visitor { src, hits: Vec::new() };
    v.visit_program(&parsed.program);
    v.hits.sort_by_key(|h| h.0);
    let mut out: Vec<Violation> = Vec::new();
    for (offset, feature) in v.hits {
        let (line, column) = lines.line_col(src, offset);
        if !out.iter().any(|o| o.line == line && o.feature == feature) {
            out.push(Violation { line, column, feature });
        }
    }
    Ok(out)
}

struct Es5Visitor<'s> {
    src: &'s str,
    hits: Vec<(u32, &'static str)>,
}

impl Es5Visitor<'_> {
    fn hit(&mut self, span: Span, feature: &'static str) {
        self.hits.push((span.start, feature));
    }
}

impl<'a> Visit<'a> for Es5Visitor<'_> {
    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        self.hit(it.span, if it.r#async { "async arrow function" } else { "arrow function" });
        walk::walk_arrow_function_expression(self, it);
    }
    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        match it.kind {
            VariableDeclarationKind::Var => {}
            VariableDeclarationKind::Let => self.hit(it.span, "let"),
            VariableDeclarationKind::Const => self.hit(it.span, "const"),
            _ => self.hit(it.span, "using declaration"),
        }
        walk::walk_variable_declaration(self, it);
    }
    fn visit_class(&mut self, it: &Class<'a>) {
        self.hit(it.span, "class");
        walk::walk_class(self, it);
    }
    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        self.hit(it.span, "template literal");
        walk::walk_template_literal(self, it);
    }
    fn visit_object_pattern(&mut self, it: &ObjectPattern<'a>) {
        self.hit(it.span, "destructuring");
        walk::walk_object_pattern(self, it);
    }
    fn visit_array_pattern(&mut self, it: &ArrayPattern<'a>) {
        self.hit(it.span, "destructuring");
        walk::walk_array_pattern(self, it);
    }
    fn visit_object_assignment_target(&mut self, it: &ObjectAssignmentTarget<'a>) {
        self.hit(it.span, "destructuring");
        walk::walk_object_assignment_target(self, it);
    }
    fn visit_array_assignment_target(&mut self, it: &ArrayAssignmentTarget<'a>) {
        self.hit(it.span, "destructuring");
        walk::walk_array_assignment_target(self, it);
    }
    fn visit_spread_element(&mut self, it: &SpreadElement<'a>) {
        self.hit(it.span, "spread");
        walk::walk_spread_element(self, it);
    }
    fn visit_binding_rest_element(&mut self, it: &BindingRestElement<'a>) {
        self.hit(it.span, "rest parameter");
        walk::walk_binding_rest_element(self, it);
    }
    fn visit_formal_parameter(&mut self, it: &FormalParameter<'a>) {
        if it.initializer.is_some() {
            self.hit(it.span, "default parameter");
        }
        walk::walk_formal_parameter(self, it);
    }
    fn visit_assignment_pattern(&mut self, it: &AssignmentPattern<'a>) {
        self.hit(it.span, "default value");
        walk::walk_assignment_pattern(self, it);
    }
    fn visit_for_of_statement(&mut self, it: &ForOfStatement<'a>) {
        self.hit(it.span, if it.r#await { "for await" } else { "for-of" });
        walk::walk_for_of_statement(self, it);
    }
    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if it.generator {
            self.hit(it.span, "generator");
        }
        if it.r#async {
            self.hit(it.span, "async function");
        }
        walk::walk_function(self, it, flags);
    }
    fn visit_await_expression(&mut self, it: &AwaitExpression<'a>) {
        self.hit(it.span, "await");
        walk::walk_await_expression(self, it);
    }
    fn visit_chain_expression(&mut self, it: &ChainExpression<'a>) {
        self.hit(it.span, "optional chaining");
        walk::walk_chain_expression(self, it);
    }
    fn visit_logical_expression(&mut self, it: &LogicalExpression<'a>) {
        if it.operator == LogicalOperator::Coalesce {
            self.hit(it.span, "nullish coalescing");
        }
        walk::walk_logical_expression(self, it);
    }
    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        if it.operator == BinaryOperator::Exponential {
            self.hit(it.span, "exponent operator");
        }
        walk::walk_binary_expression(self, it);
    }
    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        match it.operator {
            AssignmentOperator::Exponential => self.hit(it.span, "exponent operator"),
            AssignmentOperator::LogicalAnd | AssignmentOperator::LogicalOr | AssignmentOperator::LogicalNullish => self.hit(it.span, "logical assignment"),
            _ => {}
        }
        walk::walk_assignment_expression(self, it);
    }
    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        // Getters and setters are ES5; `method` is only the shorthand `f() {}`.
        if it.method {
            self.hit(it.span, "method shorthand");
        }
        if it.shorthand {
            self.hit(it.span, "shorthand property");
        }
        if it.computed {
            self.hit(it.span, "computed property");
        }
        walk::walk_object_property(self, it);
    }
    fn visit_module_declaration(&mut self, it: &ModuleDeclaration<'a>) {
        self.hit(it.span(), "import/export");
        walk::walk_module_declaration(self, it);
    }
    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        self.hit(it.span, "dynamic import");
        walk::walk_import_expression(self, it);
    }
    fn visit_import_meta(&mut self, it: &ImportMeta) {
        self.hit(it.span, "import.meta");
    }
    fn visit_new_target(&mut self, it: &NewTarget) {
        self.hit(it.span, "new.target");
    }
    fn visit_big_int_literal(&mut self, it: &BigIntLiteral<'a>) {
        self.hit(it.span, "BigInt literal");
    }
    fn visit_numeric_literal(&mut self, it: &NumericLiteral<'a>) {
        let raw = it.span.source_text(self.src);
        if raw.contains('_') {
            self.hit(it.span, "numeric separator");
        }
        if matches!(raw.get(..2), Some("0b" | "0B" | "0o" | "0O")) {
            self.hit(it.span, "binary/octal literal");
        }
    }
    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        if it.span.source_text(self.src).contains("\\u{") {
            self.hit(it.span, "code point escape");
        }
    }
    fn visit_reg_exp_literal(&mut self, it: &RegExpLiteral<'a>) {
        use RegExpFlags as F;
        if it.regex.flags.intersects(F::U | F::Y | F::S | F::D | F::V) {
            self.hit(it.span, "regular expression flag");
        }
        if it.regex.pattern.text.contains("(?<") {
            self.hit(it.span, "named group or lookbehind");
        }
    }
    fn visit_catch_clause(&mut self, it: &CatchClause<'a>) {
        if it.param.is_none() {
            self.hit(it.span, "optional catch binding");
        }
        walk::walk_catch_clause(self, it);
    }
}

/// Byte offsets to 1-based line and column (ECMAScript line terminators).
struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut it = src.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            match c {
                '\r' if matches!(it.peek(), Some((_, '\n'))) => {}
                '\n' | '\r' | '\u{2028}' | '\u{2029}' => starts.push((i + c.len_utf8()) as u32),
                _ => {}
            }
        }
        LineIndex { starts }
    }

    fn line_col(&self, src: &str, offset: u32) -> (u32, u32) {
        let offset = offset.min(src.len() as u32);
        let l = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts[l] as usize;
        let col = src.get(start..offset as usize).map_or(0, |s| s.chars().count());
        (l as u32 + 1, col as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(src: &str) -> Vec<&'static str> {
        violations(src).unwrap().into_iter().map(|v| v.feature).collect()
    }

    #[test]
    fn es5_code_passes() {
        let src = "var a = 1; function f(x) { return x * 2; }\nvar o = { get g() { return 1; }, 'k': [1,2] };\ntry { f(a) } catch (e) {}\n/ab+c/gi.test('x');";
        assert_eq!(features(src), Vec::<&str>::new());
    }

    #[test]
    fn modern_syntax_is_found_with_its_position() {
        let v = violations("var a = 1;\nconst f = (x) => `${x}`;").unwrap();
        assert_eq!(v[0], Violation { line: 2, column: 1, feature: "const" });
        let kinds: Vec<_> = v.iter().map(|v| v.feature).collect();
        assert!(kinds.contains(&"arrow function") && kinds.contains(&"template literal"), "{kinds:?}");
        for (src, feature) in [
            ("let x = 1;", "let"),
            ("class A {}", "class"),
            ("var {a} = o;", "destructuring"),
            ("f(...xs);", "spread"),
            ("function f(a = 1) {}", "default parameter"),
            ("function f(...r) {}", "rest parameter"),
            ("for (var x of xs) {}", "for-of"),
            ("function* g() {}", "generator"),
            ("async function g() { await 1; }", "async function"),
            ("a?.b;", "optional chaining"),
            ("a ?? b;", "nullish coalescing"),
            ("a ** 2;", "exponent operator"),
            ("var o = {a};", "shorthand property"),
            ("var o = {m() {}};", "method shorthand"),
            ("var o = {[k]: 1};", "computed property"),
            ("import x from 'y';", "import/export"),
            ("var n = 10n;", "BigInt literal"),
            ("var n = 1_000;", "numeric separator"),
            ("try {} catch {}", "optional catch binding"),
            ("/x/u;", "regular expression flag"),
        ] {
            assert!(features(src).contains(&feature), "{src}: {:?}", features(src));
        }
    }

    #[test]
    fn broken_scripts_are_syntax_errors() {
        let e = violations("var = ;").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(!e.message.is_empty());
    }
}
