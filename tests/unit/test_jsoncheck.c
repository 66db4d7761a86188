/* Unit tests for bf_jsoncheck, printed as TAP.  Cases follow the y_ (valid)
 * and n_ (invalid) files of the JSONTestSuite, with its i_ (implementation
 * defined) Unicode cases counted as invalid, as the project requires.
 * Build: cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Ilib
 *        tests/unit/test_jsoncheck.c lib/proto/bf_jsoncheck.c
 *        lib/proto/bf_jsonscan.c lib/base/bf_buf.c -lcjson */
#include "proto/bf_jsoncheck.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"



/* Printable, truncated rendering of an input for diagnostics. */
static const char *show(const char *s, size_t n)
{
	static char out[200];
	size_t o = 0;
	for (size_t i = 0; i < n && o < sizeof out - 8; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02X", c);
	}
	out[o] = 0;
	return out;
}

/* ---- Table of JSONTestSuite style cases. ---- */

struct tcase {
	const char *name;
	const char *in;
	size_t len;
	int valid;
	const char *msg;    /* expected err_msg substring when invalid */
};
#define Y(name, s) { name, s, sizeof(s) - 1, 1, NULL }
#define N(name, s, m) { name, s, sizeof(s) - 1, 0, m }

#define EOI "unexpected end of input"
#define UCH "unexpected character"
#define DIG "expected digit in number"
#define LZ "leading zero in number"
#define TRL "trailing characters after JSON value"
#define CMA "trailing comma"
#define ARR "expected ',' or ']'"
#define OBJ "expected ',' or '}'"
#define KEY "expected string key"
#define COL "expected ':'"
#define CTL "control character in string"
#define ESC "invalid escape"
#define UESC "invalid \\u escape"
#define SUR "unpaired surrogate"
#define U8 "invalid UTF-8"
#define LIT "invalid literal"
#define BOM "byte order mark"

static const struct tcase cases[] = {
	/* arrays */
	Y("y_array_arraysWithSpaces", "[[]   ]"),
	Y("y_array_empty", "[]"),
	Y("y_array_empty-string", "[\"\"]"),
	Y("y_array_ending_with_newline", "[\"a\"]\n"),
	Y("y_array_false", "[false]"),
	Y("y_array_heterogeneous", "[null, 1, \"1\", {}]"),
	Y("y_array_null", "[null]"),
	Y("y_array_with_1_and_newline", "[1\n]"),
	Y("y_array_with_leading_space", " [1]"),
	Y("y_array_with_several_null", "[1,null,null,null,2]"),
	Y("y_array_with_trailing_space", "[2] "),
	N("n_array_1_true_without_comma", "[1 true]", ARR),
	N("n_array_a_invalid_utf8", "[a\xe5]", UCH),
	N("n_array_colon_instead_of_comma", "[\"\": 1]", ARR),
	N("n_array_comma_after_close", "[\"\"],", TRL),
	N("n_array_comma_and_number", "[,1]", UCH),
	N("n_array_double_comma", "[1,,2]", UCH),
	N("n_array_double_extra_comma", "[\"x\",,]", UCH),
	N("n_array_extra_close", "[\"x\"]]", TRL),
	N("n_array_extra_comma", "[\"\",]", CMA),
	N("n_array_incomplete", "[\"x\"", EOI),
	N("n_array_incomplete_invalid_value", "[x", UCH),
	N("n_array_inner_array_no_comma", "[3[4]]", ARR),
	N("n_array_invalid_utf8", "[\xff]", UCH),
	N("n_array_items_separated_by_semicolon", "[1:2]", ARR),
	N("n_array_just_comma", "[,]", UCH),
	N("n_array_just_minus", "[-]", DIG),
	N("n_array_missing_value", "[   , \"\"]", UCH),
	N("n_array_newlines_unclosed", "[\"a\",\n4\n,1,", EOI),
	N("n_array_number_and_comma", "[1,]", CMA),
	N("n_array_number_and_several_commas", "[1,,]", UCH),
	N("n_array_spaces_vertical_tab_formfeed", "[\"\va\"\f]", CTL),
	N("n_array_star_inside", "[*]", UCH),
	N("n_array_unclosed", "[\"\"", EOI),
	N("n_array_unclosed_trailing_comma", "[1,", EOI),
	N("n_array_unclosed_with_new_lines", "[1,\n1\n,1", EOI),
	N("n_array_unclosed_with_object_inside", "[{}", EOI),
	/* literals */
	N("n_incomplete_false", "[fals]", LIT),
	N("n_incomplete_null", "[nul]", LIT),
	N("n_incomplete_true", "[tru]", LIT),
	N("n_structure_capitalized_True", "[True]", UCH),
	N("n_literal_truex", "truex", TRL),
	N("n_literal_nulll", "[nulll]", ARR),
	N("n_literal_truncated_at_end", "fal", EOI),
	/* numbers */
	Y("y_number", "[123e65]"),
	Y("y_number_0e+1", "[0e+1]"),
	Y("y_number_0e1", "[0e1]"),
	Y("y_number_after_space", "[ 4]"),
	Y("y_number_double_close_to_zero",
	  "[-0.000000000000000000000000000000000000000000000000000000000000000000"
	  "000000000001]"),
	Y("y_number_int_with_exp", "[20e1]"),
	Y("y_number_minus_zero", "[-0]"),
	Y("y_number_negative_int", "[-123]"),
	Y("y_number_negative_one", "[-1]"),
	Y("y_number_real_capital_e", "[1E22]"),
	Y("y_number_real_capital_e_neg_exp", "[1E-2]"),
	Y("y_number_real_capital_e_pos_exp", "[1E+2]"),
	Y("y_number_real_exponent", "[123e45]"),
	Y("y_number_real_fraction_exponent", "[123.456e78]"),
	Y("y_number_real_neg_exp", "[1e-2]"),
	Y("y_number_real_pos_exponent", "[1e+2]"),
	Y("y_number_simple_int", "[123]"),
	Y("y_number_simple_real", "[123.456789]"),
	Y("i_number_huge_exp", "[0.4e006699999999999999999999999999999999999999]"),
	Y("i_number_very_big_negative_int",
	  "[-237462374673276894279832749832423479823246327846]"),
	Y("y_number_zero_exponent_zeros", "[-0.0e-0, 1E+00, 0.0]"),
	Y("y_structure_lonely_int", "42"),
	Y("y_structure_lonely_negative_real", "-0.1"),
	Y("y_number_top_level_zero", "0"),
	N("n_number_++", "[++1234]", UCH),
	N("n_number_+1", "[+1]", UCH),
	N("n_number_+Inf", "[+Inf]", UCH),
	N("n_number_-01", "[-01]", LZ),
	N("n_number_-1.0.", "[-1.0.]", ARR),
	N("n_number_-2.", "[-2.]", DIG),
	N("n_number_-NaN", "[-NaN]", DIG),
	N("n_number_.-1", "[.-1]", UCH),
	N("n_number_.2e-3", "[.2e-3]", UCH),
	N("n_number_0.1.2", "[0.1.2]", ARR),
	N("n_number_0.3e+", "[0.3e+]", DIG),
	N("n_number_0.3e", "[0.3e]", DIG),
	N("n_number_0.e1", "[0.e1]", DIG),
	N("n_number_0_capital_E+", "[0E+]", DIG),
	N("n_number_0_capital_E", "[0E]", DIG),
	N("n_number_0e+", "[0e+]", DIG),
	N("n_number_0e", "[0e]", DIG),
	N("n_number_1.0e+", "[1.0e+]", DIG),
	N("n_number_1.0e-", "[1.0e-]", DIG),
	N("n_number_1_000", "[1 000.0]", ARR),
	N("n_number_1eE2", "[1eE2]", DIG),
	N("n_number_2.e+3", "[2.e+3]", DIG),
	N("n_number_9.e+", "[9.e+]", DIG),
	N("n_number_Inf", "[Inf]", UCH),
	N("n_number_NaN", "[NaN]", UCH),
	N("n_number_U+FF11_fullwidth_digit_one", "[\xEF\xBC\x91]", UCH),
	N("n_number_expression", "[1+2]", ARR),
	N("n_number_hex_1_digit", "[0x1]", ARR),
	N("n_number_hex_2_digits", "[0x42]", ARR),
	N("n_number_infinity", "[Infinity]", UCH),
	N("n_number_invalid+-", "[0e+-1]", DIG),
	N("n_number_invalid-negative-real", "[-123.123foo]", ARR),
	N("n_number_minus_infinity", "[-Infinity]", DIG),
	N("n_number_minus_space_1", "[- 1]", DIG),
	N("n_number_neg_int_starting_with_zero", "[-012]", LZ),
	N("n_number_neg_real_without_int_part", "[-.123]", DIG),
	N("n_number_real_garbage_after_e", "[1ea]", DIG),
	N("n_number_real_with_invalid_utf8_after_e", "[1e\xe5]", DIG),
	N("n_number_real_without_fractional_part", "[1.]", DIG),
	N("n_number_starting_with_dot", "[.123]", UCH),
	N("n_number_with_alpha", "[1.2a-3]", ARR),
	N("n_number_with_leading_zero", "[012]", LZ),
	N("n_number_top_level_leading_zero", "00", LZ),
	N("n_number_top_level_dot", "2.", EOI),
	N("n_multidigit_number_then_00", "123\0", TRL),
	N("n_structure_number_with_trailing_garbage", "2@", TRL),
	/* objects */
	Y("y_object", "{\"asd\":\"sdf\", \"dfg\":\"fgh\"}"),
	Y("y_object_basic", "{\"asd\":\"sdf\"}"),
	Y("y_object_duplicated_key", "{\"a\":\"b\",\"a\":\"c\"}"),
	Y("y_object_empty", "{}"),
	Y("y_object_empty_key", "{\"\":0}"),
	Y("y_object_escaped_null_in_key", "{\"foo\\u0000bar\": 42}"),
	Y("y_object_extreme_numbers", "{ \"min\": -1.0e+28, \"max\": 1.0e+28 }"),
	Y("y_object_long_strings",
	  "{\"x\":[{\"id\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}], "
	  "\"id\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"),
	Y("y_object_simple", "{\"a\":[]}"),
	Y("y_object_string_unicode",
	  "{\"title\":\"\\u041f\\u043e\\u043b\\u0442\\u043e\\u0440\\u0430 "
	  "\\u0417\\u0435\\u043c\\u043b\\u0435\\u043a\\u043e\\u043f\\u0430\" }"),
	Y("y_object_with_newlines", "{\n\"a\": \"b\"\n}"),
	N("n_object_bad_value", "[\"x\", truth]", LIT),
	N("n_object_bracket_key", "{[: \"x\"}", KEY),
	N("n_object_comma_instead_of_colon", "{\"x\", null}", COL),
	N("n_object_double_colon", "{\"x\"::\"b\"}", UCH),
	N("n_object_emoji", "{\xF0\x9F\x87\xA8\xF0\x9F\x87\xAD}", KEY),
	N("n_object_garbage_at_end", "{\"a\":\"a\" 123}", OBJ),
	N("n_object_key_with_single_quotes", "{key: 'value'}", KEY),
	N("n_object_missing_colon", "{\"a\" b}", COL),
	N("n_object_missing_key", "{:\"b\"}", KEY),
	N("n_object_missing_semicolon", "{\"a\" \"b\"}", COL),
	N("n_object_missing_value", "{\"a\":", EOI),
	N("n_object_no-colon", "{\"a\"", EOI),
	N("n_object_non_string_key", "{1:1}", KEY),
	N("n_object_repeated_null_null", "{null:null,null:null}", KEY),
	N("n_object_several_trailing_commas", "{\"id\":0,,,,,}", KEY),
	N("n_object_single_quote", "{'a':0}", KEY),
	N("n_object_trailing_comma", "{\"id\":0,}", CMA),
	N("n_object_trailing_comment", "{\"a\":\"b\"}/**/", TRL),
	N("n_object_trailing_comment_slash_open", "{\"a\":\"b\"}//", TRL),
	N("n_object_two_commas_in_a_row", "{\"a\":\"b\",,\"c\":\"d\"}", KEY),
	N("n_object_unquoted_key", "{a: \"b\"}", KEY),
	N("n_object_unterminated-value", "{\"a\":\"a", EOI),
	N("n_object_with_single_string", "{ \"foo\" : \"bar\", \"a\" }", COL),
	N("n_object_with_trailing_garbage", "{\"a\":\"b\"}#", TRL),
	N("n_object_value_then_bracket", "{\"a\":1]", OBJ),
	/* strings and escapes */
	Y("y_string_1_2_3_bytes_UTF-8_sequences", "[\"\\u0060\\u012a\\u12AB\"]"),
	Y("y_string_accepted_surrogate_pair", "[\"\\uD801\\udc37\"]"),
	Y("y_string_accepted_surrogate_pairs", "[\"\\ud83d\\ude39\\ud83d\\udc8d\"]"),
	Y("y_string_allowed_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
	Y("y_string_backslash_and_u_escaped_zero", "[\"\\\\u0000\"]"),
	Y("y_string_backslash_doublequotes", "[\"\\\"\"]"),
	Y("y_string_comments", "[\"a/*b*/c/*d//e\"]"),
	Y("y_string_double_escape_a", "[\"\\\\a\"]"),
	Y("y_string_escaped_control_character", "[\"\\u0012\"]"),
	Y("y_string_escaped_noncharacter", "[\"\\uFFFF\"]"),
	Y("y_string_in_array_with_leading_space", "[ \"asd\"]"),
	Y("y_string_last_surrogates_1_and_2", "[\"\\uDBFF\\uDFFF\"]"),
	Y("y_string_nbsp_uescaped", "[\"new\\u00A0line\"]"),
	Y("y_string_null_escape", "[\"\\u0000\"]"),
	Y("y_string_surrogates_U+1D11E", "[\"\\uD834\\uDd1e\"]"),
	Y("y_string_uEscape", "[\"\\u0061\\u30af\\u30EA\\u30b9\"]"),
	Y("y_string_unicodeEscapedBackslash", "[\"\\u005C\"]"),
	Y("y_string_unicode_U+10FFFE_nonchar", "[\"\\uDBFF\\uDFFE\"]"),
	Y("y_string_unicode_escaped_double_quote", "[\"\\u0022\"]"),
	Y("y_string_unescaped_char_delete", "[\"\x7f\"]"),
	Y("y_structure_lonely_string", "\"asd\""),
	Y("y_structure_string_empty", "\"\""),
	Y("y_string_space", "\" \""),
	N("n_string_1_surrogate_then_escape", "[\"\\uD800\\\"]", SUR),
	N("n_string_1_surrogate_then_escape_u", "[\"\\uD800\\u\"]", UESC),
	N("n_string_1_surrogate_then_escape_u1", "[\"\\uD800\\u1\"]", UESC),
	N("n_string_1_surrogate_then_escape_u1x", "[\"\\uD800\\u1x\"]", UESC),
	N("n_string_accentuated_char_no_quotes", "[\xC3\xA9]", UCH),
	N("n_string_backslash_00", "[\"\\\0\"]", ESC),
	N("n_string_escape_x", "[\"\\x00\"]", ESC),
	N("n_string_escaped_backslash_bad", "[\"\\\\\\\"]", EOI),
	N("n_string_escaped_ctrl_char_tab", "[\"\\\t\"]", ESC),
	N("n_string_escaped_emoji", "[\"\\\xF0\x9F\x8C\x80\"]", ESC),
	N("n_string_incomplete_escape", "[\"\\\"]", EOI),
	N("n_string_incomplete_escaped_character", "[\"\\u00A\"]", UESC),
	N("n_string_incomplete_surrogate", "[\"\\uD834\\uDd\"]", UESC),
	N("n_string_incomplete_surrogate_escape_invalid",
	  "[\"\\uD800\\uD800\\x\"]", SUR),
	N("n_string_invalid-utf-8-in-escape", "[\"\\u\xE5\"]", UESC),
	N("n_string_invalid_backslash_esc", "[\"\\a\"]", ESC),
	N("n_string_invalid_unicode_escape", "[\"\\uqqqq\"]", UESC),
	N("n_string_invalid_utf8_after_escape", "[\"\\\xE5\"]", ESC),
	N("n_string_leading_uescaped_thinspace", "[\\u0020\"asd\"]", UCH),
	N("n_string_no_quotes_with_bad_escape", "[\\n]", UCH),
	N("n_string_single_doublequote", "\"", EOI),
	N("n_string_single_quote", "['single quote']", UCH),
	N("n_string_single_string_no_double_quotes", "abc", UCH),
	N("n_string_start_escape_unclosed", "[\"\\", EOI),
	N("n_string_unescaped_ctrl_char", "[\"a\0a\"]", CTL),
	N("n_string_unescaped_newline", "[\"new\nline\"]", CTL),
	N("n_string_unescaped_tab", "[\"\t\"]", CTL),
	N("n_string_unescaped_0x1f", "[\"\x1f\"]", CTL),
	N("n_string_unicode_CapitalU", "\"\\UA66D\"", ESC),
	N("n_string_with_trailing_garbage", "\"\"x", TRL),
	N("n_string_u_escape_upper_hex_bad", "[\"\\u12G4\"]", UESC),
	/* surrogate escapes (i_ in the suite, invalid here) */
	N("i_string_1st_surrogate_but_2nd_missing", "[\"\\uDADA\"]", SUR),
	N("i_string_1st_valid_surrogate_2nd_invalid", "[\"\\uD888\\u1234\"]", SUR),
	N("i_string_incomplete_surrogate_and_escape_valid", "[\"\\uD800\\n\"]", SUR),
	N("i_string_incomplete_surrogate_pair", "[\"\\uDd1ea\"]", SUR),
	N("i_string_incomplete_surrogates_escape_valid",
	  "[\"\\uD800\\uD800\\n\"]", SUR),
	N("i_string_invalid_lonely_surrogate", "[\"\\ud800\"]", SUR),
	N("i_string_invalid_surrogate", "[\"\\ud800abc\"]", SUR),
	N("i_string_inverted_surrogates_U+1D11E", "[\"\\uDd1e\\uD834\"]", SUR),
	N("i_string_lone_second_surrogate", "[\"\\uDFAA\"]", SUR),
	N("n_string_high_surrogate_at_end", "\"\\uD800", EOI),
	/* raw UTF-8 */
	Y("y_string_nonCharacterInUTF-8_U+10FFFF", "[\"\xF4\x8F\xBF\xBF\"]"),
	Y("y_string_nonCharacterInUTF-8_U+FFFF", "[\"\xEF\xBF\xBF\"]"),
	Y("y_string_pi", "[\"\xCF\x80\"]"),
	Y("y_string_reservedCharacterInUTF-8_U+1BFFF", "[\"\xF0\x9B\xBF\xBF\"]"),
	Y("y_string_u+2028_line_sep", "[\"\xE2\x80\xA8\"]"),
	Y("y_string_u+2029_par_sep", "[\"\xE2\x80\xA9\"]"),
	Y("y_string_unicode_2", "[\"\xE2\x8D\x82\xE3\x88\xB4\xE2\x8D\x82\"]"),
	Y("y_string_utf8", "[\"\xE2\x82\xAC\xF0\x9D\x84\x9E\"]"),
	Y("y_utf8_min_2_byte_U+0080", "\"\xC2\x80\""),
	Y("y_utf8_max_2_byte_U+07FF", "\"\xDF\xBF\""),
	Y("y_utf8_min_3_byte_U+0800", "\"\xE0\xA0\x80\""),
	Y("y_utf8_before_surrogates_U+D7FF", "\"\xED\x9F\xBF\""),
	Y("y_utf8_after_surrogates_U+E000", "\"\xEE\x80\x80\""),
	Y("y_utf8_min_4_byte_U+10000", "\"\xF0\x90\x80\x80\""),
	Y("y_utf8_in_key", "{\"\xC3\xA9t\xC3\xA9\":1}"),
	N("i_string_UTF-8_invalid_sequence",
	  "[\"\xE6\x97\xA5\xD1\x88\xFA\"]", U8),
	N("i_string_UTF8_surrogate_U+D800", "[\"\xED\xA0\x80\"]", U8),
	N("n_utf8_surrogate_U+DFFF", "[\"\xED\xBF\xBF\"]", U8),
	N("i_string_invalid_utf-8", "[\"\xFF\"]", U8),
	N("i_string_iso_latin_1", "[\"\xE9\"]", U8),
	N("i_string_lone_utf8_continuation_byte", "[\"\x81\"]", U8),
	N("i_string_not_in_unicode_range", "[\"\xF4\xBF\xBF\xBF\"]", U8),
	N("n_utf8_U+110000", "[\"\xF4\x90\x80\x80\"]", U8),
	N("n_utf8_lead_F5", "[\"\xF5\x80\x80\x80\"]", U8),
	N("i_string_overlong_sequence_2_bytes", "[\"\xC0\xAF\"]", U8),
	N("n_utf8_overlong_C1", "[\"\xC1\xBF\"]", U8),
	N("n_utf8_overlong_3_bytes", "[\"\xE0\x80\xAF\"]", U8),
	N("n_utf8_overlong_3_bytes_max", "[\"\xE0\x9F\xBF\"]", U8),
	N("n_utf8_overlong_4_bytes", "[\"\xF0\x80\x80\xAF\"]", U8),
	N("n_utf8_overlong_4_bytes_max", "[\"\xF0\x8F\xBF\xBF\"]", U8),
	N("i_string_overlong_sequence_6_bytes",
	  "[\"\xFC\x83\xBF\xBF\xBF\xBF\"]", U8),
	N("i_string_overlong_sequence_6_bytes_null",
	  "[\"\xFC\x80\x80\x80\x80\x80\"]", U8),
	N("i_string_truncated-utf-8", "[\"\xE0\xFF\"]", U8),
	N("n_utf8_truncated_3_byte_before_quote", "[\"\xE2\x82\"]", U8),
	N("n_utf8_truncated_4_byte_before_quote", "[\"\xF0\x9F\x98\"]", U8),
	N("n_utf8_2_byte_lead_then_ascii", "[\"\xC3" "A\"]", U8),
	N("n_utf8_truncated_at_end_of_input", "\"\xE2\x82", EOI),
	N("n_utf8_byte_FE", "\"\xFE\"", U8),
	N("n_structure_lone-invalid-utf-8", "\xE5", UCH),
	N("n_structure_single_eacute", "\xE9", UCH),
	N("n_structure_U+2060_word_joined", "[\xE2\x81\xA0]", UCH),
	N("n_structure_unicode-identifier", "\xC3\xA5", UCH),
	N("i_string_UTF-16LE_with_BOM", "\xFF\xFE[\0\"\0\xE9\0\"\0]\0", UCH),
	N("i_string_utf16BE_no_BOM", "\0[\0\"\0\xE9\0\"\0]", UCH),
	/* structure */
	Y("y_structure_lonely_false", "false"),
	Y("y_structure_lonely_null", "null"),
	Y("y_structure_lonely_true", "true"),
	Y("y_structure_trailing_newline", "[\"a\"]\n"),
	Y("y_structure_true_in_array", "[true]"),
	Y("y_structure_whitespace_array", " [] "),
	Y("y_structure_all_whitespace_kinds", "\t\r\n {\t\"a\"\r:\n[ 1 ,\t2 ] } \n\r\t"),
	Y("y_structure_nested_mixed", "{\"a\":[{\"b\":{\"c\":[[],{}]}},null]}"),
	N("n_structure_UTF8_BOM_no_data", "\xEF\xBB\xBF", BOM),
	N("i_structure_UTF-8_BOM_empty_object", "\xEF\xBB\xBF{}", BOM),
	N("n_structure_incomplete_UTF8_BOM", "\xEF\xBB{}", UCH),
	N("n_structure_angle_bracket_.", "<.>", UCH),
	N("n_structure_angle_bracket_null", "[<null>]", UCH),
	N("n_structure_array_trailing_garbage", "[1]x", TRL),
	N("n_structure_array_with_extra_array_close", "[1]]", TRL),
	N("n_structure_array_with_unclosed_string", "[\"asd]", EOI),
	N("n_structure_ascii-unicode-identifier", "a\xC3\xA5", UCH),
	N("n_structure_close_unopened_array", "1]", TRL),
	N("n_structure_comma_instead_of_closing_brace", "{\"x\": true,", EOI),
	N("n_structure_double_array", "[][]", TRL),
	N("n_structure_end_array", "]", UCH),
	N("n_structure_lone-open-bracket", "[", EOI),
	N("n_structure_no_data", "", EOI),
	N("n_single_space", " ", EOI),
	N("n_structure_only_whitespace", " \t\r\n", EOI),
	N("n_structure_null-byte-outside-string", "[\0]", UCH),
	N("n_structure_object_followed_by_closing_object", "{}}", TRL),
	N("n_structure_object_unclosed_no_value", "{\"\":", EOI),
	N("n_structure_object_with_comment", "{\"a\":/*comment*/\"b\"}", UCH),
	N("n_structure_object_with_trailing_garbage", "{\"a\": true} \"x\"", TRL),
	N("n_structure_open_array_apostrophe", "['", UCH),
	N("n_structure_open_array_comma", "[,", UCH),
	N("n_structure_open_array_open_object", "[{", EOI),
	N("n_structure_open_array_open_string", "[\"a", EOI),
	N("n_structure_open_object", "{", EOI),
	N("n_structure_open_object_close_array", "{]", KEY),
	N("n_structure_open_object_comma", "{,", KEY),
	N("n_structure_open_object_open_array", "{[", KEY),
	N("n_structure_open_object_open_string", "{\"a", EOI),
	N("n_structure_open_object_string_with_apostrophes", "{'a'", KEY),
	N("n_structure_open_open", "[\"\\{[\"\\{[\"\\{[\"\\{", ESC),
	N("n_structure_single_star", "*", UCH),
	N("n_structure_trailing_#", "{\"a\":\"b\"}#{}", TRL),
	N("n_structure_uescaped_LF_before_string", "[\\u000A\"\"]", UCH),
	N("n_structure_unclosed_array", "[1", EOI),
	N("n_structure_unclosed_array_partial_null", "[ false, nul", EOI),
	N("n_structure_unclosed_array_unfinished_false", "[ true, fals", EOI),
	N("n_structure_unclosed_object", "{\"asd\":\"asd\"", EOI),
	N("n_structure_whitespace_formfeed", "[\f]", UCH),
	N("n_structure_whitespace_vertical_tab", "[1\v]", ARR),
	N("n_structure_whitespace_nbsp", "\xC2\xA0[1]", UCH),
	N("n_structure_two_values", "1 2", TRL),
	N("n_structure_array_close_in_object", "{\"a\":[}", UCH),
};

static void test_table(void)
{
	size_t n = sizeof cases / sizeof cases[0];
	for (size_t i = 0; i < n; i++) {
		const struct tcase *t = &cases[i];
		struct bf_jsoncheck ck = {0};
		int rc = bf_jsoncheck(t->in, t->len, &ck);
		int good;
		if (t->valid)
			good = rc == 0 && ck.err_msg == NULL;
		else
			good = rc == -1 && ck.err_msg && strstr(ck.err_msg, t->msg) &&
				   ck.err_offset <= t->len;
		if (!ok(good, "%s", t->name))
			diag("%s: input '%s' rc=%d msg=%s off=%zu", t->name,
			     show(t->in, t->len), rc, ck.err_msg ? ck.err_msg : "(null)",
			     ck.err_offset);
	}
}

/* ---- Nesting limit. ---- */

static char big[8192];

/* depth levels of kind 'a' ([...]), 'o' ({"k":...}) or 'm' (alternating). */
static size_t nest(size_t depth, char kind)
{
	size_t n = 0;
	for (size_t i = 0; i < depth; i++) {
		int obj = kind == 'o' || (kind == 'm' && i % 2);
		if (obj) {
			memcpy(big + n, "{\"k\":", 5);
			n += 5;
		} else {
			big[n++] = '[';
		}
	}
	big[n++] = '1';
	for (size_t i = depth; i-- > 0;)
		big[n++] = (kind == 'o' || (kind == 'm' && i % 2)) ? '}' : ']';
	return n;
}

static void test_nesting(void)
{
	static const char kinds[] = "aom";
	for (int k = 0; k < 3; k++) {
		struct bf_jsoncheck ck = {0};
		size_t n = nest(BF_JSONCHECK_MAX_DEPTH, kinds[k]);
		ok(bf_jsoncheck(big, n, &ck) == 0, "nesting %c: 512 levels valid",
		      kinds[k]);
		n = nest(BF_JSONCHECK_MAX_DEPTH + 1, kinds[k]);
		int rc = bf_jsoncheck(big, n, &ck);
		/* the 513th opening bracket is the error */
		size_t want_off = kinds[k] == 'a' ? 512 : kinds[k] == 'o' ? 512 * 5
									  : 256 * 6;
		if (!ok(rc == -1 && ck.err_msg &&
			   strcmp(ck.err_msg, "nesting too deep") == 0 &&
			   ck.err_offset == want_off,
			   "nesting %c: 513 levels -> nesting too deep at %zu",
			   kinds[k], want_off))
			diag("rc=%d msg=%s off=%zu", rc, ck.err_msg, ck.err_offset);
	}
	/* 100000 opening brackets, never closed: refused, no overflow */
	char *deep = malloc(100000);
	if (!deep)
		exit(2);
	memset(deep, '[', 100000);
	struct bf_jsoncheck ck = {0};
	ok(bf_jsoncheck(deep, 100000, &ck) == -1 && ck.err_offset == 512 &&
	      strcmp(ck.err_msg, "nesting too deep") == 0,
	      "n_structure_100000_opening_arrays");
	free(deep);
}

/* ---- Exact error offsets. ---- */

struct ocase { const char *in; size_t len; size_t off; const char *msg; };
#define O(s, off, m) { s, sizeof(s) - 1, off, m }
static const struct ocase ocases[] = {
	O("[01]", 2, LZ),
	O("{\"a\" 1}", 5, COL),
	O("[\"ab\x01\"]", 4, CTL),
	O("[\"\\uD800x\"]", 2, SUR),
	O("[\"x\\uDC00\"]", 3, SUR),
	O("[\"\\uD800\\u12x4\"]", 8, UESC),
	O("[\"\xE0\x80\x80\"]", 3, U8),
	O("[\"\xC0\x80\"]", 2, U8),
	O("[\"\xE2\x82\"]", 4, U8),
	O("[1,]", 3, CMA),
	O("[1] x", 4, TRL),
	O("[1", 2, EOI),
	O("\xEF\xBB\xBF[]", 0, BOM),
	O("  ", 2, EOI),
	O("{\"a\":tru}", 8, LIT),
	O("\"\\q\"", 1, ESC),
	O("[\"\\u12G4\"]", 2, UESC),
	O("{\"a\":1 \"b\":2}", 7, OBJ),
	O("[1.5e+x]", 6, DIG),
	O("  {\"k\":[1,2,{\"z\":nul}]} ", 20, LIT),
};

static void test_offsets(void)
{
	for (size_t i = 0; i < sizeof ocases / sizeof ocases[0]; i++) {
		const struct ocase *t = &ocases[i];
		struct bf_jsoncheck ck = {0};
		int rc = bf_jsoncheck(t->in, t->len, &ck);
		if (!ok(rc == -1 && ck.err_offset == t->off && ck.err_msg &&
			   strcmp(ck.err_msg, t->msg) == 0,
			   "err_offset %zu (%s) for '%s'", t->off, t->msg,
			   show(t->in, t->len)))
			diag("got rc=%d off=%zu msg=%s", rc, ck.err_offset,
			     ck.err_msg ? ck.err_msg : "(null)");
	}
}

/* ---- Fast string path at every alignment. ---- */

static void test_alignment(void)
{
	static const struct { const char *tail; size_t tlen; int valid; size_t doff;
			      const char *msg; } tails[] = {
		{ "\"", 1, 1, 0, NULL },
		{ "\x7f\"", 2, 1, 0, NULL },
		{ " !#[]~\"", 7, 1, 0, NULL },
		{ "\xC3\xA9\"", 3, 1, 0, NULL },
		{ "\\n\"", 3, 1, 0, NULL },
		{ "\x1f\"", 2, 0, 0, CTL },
		{ "\x80\"", 2, 0, 0, U8 },
		{ "\\z\"", 3, 0, 0, ESC },
		{ "", 0, 0, 0, EOI },
	};
	char buf[128];
	for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
		int all = 1;
		for (size_t k = 0; k <= 40; k++) {
			buf[0] = '"';
			memset(buf + 1, 'a', k);
			memcpy(buf + 1 + k, tails[t].tail, tails[t].tlen);
			size_t n = 1 + k + tails[t].tlen;
			struct bf_jsoncheck ck = {0};
			int rc = bf_jsoncheck(buf, n, &ck);
			int good = tails[t].valid
				? rc == 0
				: rc == -1 && strcmp(ck.err_msg, tails[t].msg) == 0 &&
				  ck.err_offset == (tails[t].tlen ? 1 + k : n);
			if (!good) {
				diag("k=%zu '%s' rc=%d off=%zu", k, show(buf, n), rc,
				     ck.err_offset);
				all = 0;
			}
		}
		ok(all, "string of 0..40 plain bytes then '%s'",
		      show(tails[t].tail, tails[t].tlen));
	}
}

/* ---- Fast digit path at every alignment. ---- */

static void test_digit_runs(void)
{
	static const struct { const char *tail; int valid; const char *msg; }
	tails[] = {
		{ "]", 1, NULL }, { ".5]", 1, NULL }, { "e9]", 1, NULL },
		{ "E+0]", 1, NULL }, { "/]", 0, ARR }, { ":]", 0, ARR },
		{ "\xBA]", 0, ARR }, { "\xFF]", 0, ARR }, { ".]", 0, DIG },
		{ "", 0, EOI },
	};
	char buf[128];
	for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
		int all = 1;
		for (size_t k = 0; k <= 40; k++) {
			/* "[1" + k digits + tail; the fraction and exponent get the same
			   run of digits after their first */
			size_t n = 0;
			buf[n++] = '[';
			buf[n++] = '1';
			for (size_t i = 0; i < k; i++)
				buf[n++] = (char)('0' + i % 10);
			size_t tl = strlen(tails[t].tail);
			memcpy(buf + n, tails[t].tail, tl);
			size_t bad = n + (tails[t].msg && strcmp(tails[t].msg, DIG) == 0);
			n += tl;
			if (tails[t].valid && tl > 1) {     /* lengthen the last run */
				n--;
				for (size_t i = 0; i < k; i++)
					buf[n++] = (char)('0' + i % 10);
				buf[n++] = ']';
			}
			if (tl == 0)
				bad = n;
			struct bf_jsoncheck ck = {0};
			int rc = bf_jsoncheck(buf, n, &ck);
			int good = tails[t].valid
				? rc == 0
				: rc == -1 && strcmp(ck.err_msg, tails[t].msg) == 0 &&
				  ck.err_offset == bad;
			if (!good) {
				diag("k=%zu '%s' rc=%d off=%zu", k, show(buf, n), rc,
				     ck.err_offset);
				all = 0;
			}
		}
		ok(all, "number of 1..41 digits then '%s'",
		      show(tails[t].tail, strlen(tails[t].tail)));
	}
}

/* ---- Spans of top-level members. ---- */

static int span_is(const char *line, const struct bf_json_span *sp,
		   const char *want)
{
	if (!want)
		return sp->start == 0 && sp->len == 0;
	return sp->len == strlen(want) && memcmp(line + sp->start, want, sp->len) == 0;
}

static void test_spans(void)
{
	static const char *const rkeys[] = { "type", "record", "stream", NULL };
	const char *rec =
		"{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":1,\"b\":[1,{\"c\":\"}\"}]},"
		"\"time_extracted\":\"2024-04-05T02:00:00Z\"}";
	struct bf_jsoncheck ck = { 0 };
	struct bf_json_pick pk;
	bf_json_pick_init(&pk, rkeys);
	ck.pick = &pk;
	int rc = bf_jsoncheck(rec, strlen(rec), &ck);
	ok(rc == 0 && ck.top_is_object && !pk.duplicate &&
	      span_is(rec, &pk.spans[0], "\"RECORD\"") &&
	      span_is(rec, &pk.spans[1], "{\"a\":1,\"b\":[1,{\"c\":\"}\"}]}") &&
	      span_is(rec, &pk.spans[2], "\"s\""),
	      "spans: type, record, stream of a RECORD line");

	/* splice a member before the record's closing brace */
	char out[512];
	size_t end = pk.spans[1].start + pk.spans[1].len - 1;
	snprintf(out, sizeof out, "%.*s,\"_x\":1%s", (int)end, rec, rec + end);
	struct bf_jsoncheck ck2 = { 0 };
	struct bf_json_pick pk2;
	bf_json_pick_init(&pk2, rkeys);
	ck2.pick = &pk2;
	ok(bf_jsoncheck(out, strlen(out), &ck2) == 0 &&
	      span_is(out, &pk2.spans[1], "{\"a\":1,\"b\":[1,{\"c\":\"}\"}],\"_x\":1}"),
	      "spans: splicing before the record's '}' gives valid JSON");

	static const char *const absent[] = { "version", "type", NULL };
	struct bf_jsoncheck ck3 = { 0 };
	struct bf_json_pick pk3;
	bf_json_pick_init(&pk3, absent);
	ck3.pick = &pk3;
	rc = bf_jsoncheck(rec, strlen(rec), &ck3);
	ok(rc == 0 && span_is(rec, &pk3.spans[0], NULL) &&
	      span_is(rec, &pk3.spans[1], "\"RECORD\""),
	      "spans: absent key gives start == len == 0");

	static const char *const tkeys[] = { "type", "stream", NULL };
	const char *nested = "{\"record\":{\"type\":\"X\"},\"a\":[{\"type\":\"Y\"}],"
			     "\"o\":{\"stream\":\"in\"},\"stream\":\"top\"}";
	struct bf_jsoncheck ck4 = { 0 };
	struct bf_json_pick pk4;
	bf_json_pick_init(&pk4, tkeys);
	ck4.pick = &pk4;
	rc = bf_jsoncheck(nested, strlen(nested), &ck4);
	ok(rc == 0 && span_is(nested, &pk4.spans[0], NULL) &&
	      span_is(nested, &pk4.spans[1], "\"top\""),
	      "spans: a nested member with the same key is not matched");

	const char *dup = "{\"type\":\"A\",\"x\":1,\"type\":\"B\"}";
	struct bf_jsoncheck ck5 = { 0 };
	struct bf_json_pick pk5;
	bf_json_pick_init(&pk5, tkeys);
	ck5.pick = &pk5;
	rc = bf_jsoncheck(dup, strlen(dup), &ck5);
	ok(rc == 0 && pk5.duplicate == 1 &&
	      span_is(dup, &pk5.spans[0], "\"A\""),
	      "spans: duplicate asked key flagged, first kept");

	const char *dup2 = "{\"x\":1,\"x\":2,\"type\":\"T\"}";
	struct bf_jsoncheck ck6 = { 0 };
	struct bf_json_pick pk6;
	bf_json_pick_init(&pk6, tkeys);
	ck6.pick = &pk6;
	rc = bf_jsoncheck(dup2, strlen(dup2), &ck6);
	ok(rc == 0 && pk6.duplicate == 0 &&
	      span_is(dup2, &pk6.spans[0], "\"T\""),
	      "spans: duplicate of a key not asked for is not flagged");

	const char *esc = "{\"typ\\u0065\":\"X\",\"str\\u0065am\":1}";
	struct bf_jsoncheck ck7 = { 0 };
	struct bf_json_pick pk7;
	bf_json_pick_init(&pk7, tkeys);
	ck7.pick = &pk7;
	rc = bf_jsoncheck(esc, strlen(esc), &ck7);
	ok(rc == 0 && span_is(esc, &pk7.spans[0], "\"X\"") &&
	      span_is(esc, &pk7.spans[1], "1"),
	      "spans: a key written with escapes is matched by its text");

	/* raw bytes equal to an asked key, but the decoded key is "xe" */
	static const char *const rawkey[] = { "x\\u0065", NULL };
	const char *esc2 = "{\"x\\u0065\":1}";
	struct bf_jsoncheck ck7b = { 0 };
	struct bf_json_pick pk7b;
	bf_json_pick_init(&pk7b, rawkey);
	ck7b.pick = &pk7b;
	rc = bf_jsoncheck(esc2, strlen(esc2), &ck7b);
	ok(rc == 0 && span_is(esc2, &pk7b.spans[0], NULL),
	      "spans: escaped key is not compared by its raw bytes");

	const char *ws = "{ \"type\" :\t12.5e3 , \"stream\" : { } }";
	struct bf_jsoncheck ck8 = { 0 };
	struct bf_json_pick pk8;
	bf_json_pick_init(&pk8, tkeys);
	ck8.pick = &pk8;
	rc = bf_jsoncheck(ws, strlen(ws), &ck8);
	ok(rc == 0 && span_is(ws, &pk8.spans[0], "12.5e3") &&
	      span_is(ws, &pk8.spans[1], "{ }"),
	      "spans: number and empty object values, whitespace excluded");

	const char *lits = "{\"stream\":null,\"type\":[true,false]}";
	struct bf_jsoncheck ck9 = { 0 };
	struct bf_json_pick pk9;
	bf_json_pick_init(&pk9, tkeys);
	ck9.pick = &pk9;
	rc = bf_jsoncheck(lits, strlen(lits), &ck9);
	ok(rc == 0 && span_is(lits, &pk9.spans[0], "[true,false]") &&
	      span_is(lits, &pk9.spans[1], "null"),
	      "spans: literal and array values");

	const char *arr = "[{\"type\":\"x\"}]";
	struct bf_jsoncheck ck10 = { 0 };
	struct bf_json_pick pk10;
	bf_json_pick_init(&pk10, tkeys);
	ck10.pick = &pk10;
	rc = bf_jsoncheck(arr, strlen(arr), &ck10);
	ok(rc == 0 && !ck10.top_is_object && span_is(arr, &pk10.spans[0], NULL),
	      "spans: top-level array has no members and top_is_object == 0");

	struct bf_jsoncheck ck11 = { 0 };
	struct bf_json_pick pk11;
	bf_json_pick_init(&pk11, NULL);
	ck11.pick = &pk11;
	rc = bf_jsoncheck(rec, strlen(rec), &ck11);
	ok(rc == 0 && ck11.top_is_object && span_is(rec, &pk11.spans[0], NULL),
	      "spans: a pick of no keys locates nothing");

	static const char *const many[] = { "a", "b", "c", "d", "e", "f", "g",
					    "h", "i", NULL };
	const char *nine = "{\"i\":9,\"h\":8,\"a\":1}";
	struct bf_jsoncheck ck12 = { 0 };
	struct bf_json_pick pk12;
	bf_json_pick_init(&pk12, many);
	ck12.pick = &pk12;
	rc = bf_jsoncheck(nine, strlen(nine), &ck12);
	ok(rc == 0 && span_is(nine, &pk12.spans[7], "8") &&
	      span_is(nine, &pk12.spans[0], "1"),
	      "spans: the eighth key is located, a ninth is ignored");

	const char *prefix = "{\"typex\":1,\"typ\":2}";
	struct bf_jsoncheck ck13 = { 0 };
	struct bf_json_pick pk13;
	bf_json_pick_init(&pk13, tkeys);
	ck13.pick = &pk13;
	rc = bf_jsoncheck(prefix, strlen(prefix), &ck13);
	ok(rc == 0 && span_is(prefix, &pk13.spans[0], NULL),
	      "spans: keys differing only in length are not matched");
}

/* ---- Cross-check against cJSON on mutated documents. ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)        /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t rndn(size_t n)
{
	return (size_t)(rnd() % n);
}

/* 1 when cJSON parses buf[0..len) as one value followed only by JSON
   whitespace. */
static int cjson_parses_fully(const char *buf, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		exit(2);
	memcpy(copy, buf, len);
	copy[len] = 0;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	int ok = j != NULL && end != NULL;
	if (ok) {
		size_t p = (size_t)(end - copy);
		while (p < len && strchr(" \t\r\n", copy[p]) && copy[p])
			p++;
		ok = p == len;
	}
	cJSON_Delete(j);
	free(copy);
	return ok;
}

/* A rejected input must be consistent with its err_offset: the text cut
   there is valid or merely unfinished. */
static int offset_consistent(const char *buf, size_t len,
			     const struct bf_jsoncheck *ck)
{
	if (ck->err_offset > len || ck->err_msg == NULL)
		return 0;
	struct bf_jsoncheck c2 = {0};
	if (bf_jsoncheck(buf, ck->err_offset, &c2) == 0)
		return 1;
	return c2.err_offset == ck->err_offset &&
		   strcmp(c2.err_msg, "unexpected end of input") == 0;
}

static const char *const seeds[] = {
	"{\"type\":\"RECORD\",\"stream\":\"order_details\",\"record\":{\"location\":"
	"\"185129\",\"order_id\":\"12345678901234567\",\"qty\":-12.5e+3,\"ok\":true,"
	"\"note\":null,\"_bf_date\":\"2024-04-04\"},\"time_extracted\":"
	"\"2024-04-05T02:00:00Z\"}",
	"[1, -0, 0.5, 1e10, -2.25E-3, 12345678901234567890, [], {}, [[[]]]]",
	"{\"s\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\uD83D\\uDE00\"}",
	"[\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF\"]",
	"{\"a\":{\"b\":{\"c\":[true,false,null,{\"d\":\"e\"}]}},\"f\":[0,[1,[2]]]}",
	" \t\r\n{ \"k\" : [ 1 , 2 ] , \"l\" : { } } \n",
	"\"just a string with a long run of plain ascii characters in it\"",
	"{\"type\":\"STATE\",\"value\":{\"bookmarks\":{\"s\":{\"c\":\"2024-01-01\"}}}}",
};

static const char interesting[] = {
	'"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '9', '-', '+', '.',
	'e', 'E', 'u', 'D', 'd', 'a', 'f', 'n', 't', 'x', ' ', '\t', '\n', '\r',
	'\f', '/', '\0', '\x01', '\x1f', '\x7f', (char)0x80, (char)0xBF,
	(char)0xC0, (char)0xC2, (char)0xE0, (char)0xED, (char)0xEF, (char)0xF0,
	(char)0xF4, (char)0xF5, (char)0xFF,
};

static const char *const snippets[] = {
	"\\u", "\\uD800", "\\uDC00", "\\uD83D\\uDE00", "\\u00e9", "true", "null",
	"false", "e+", ".5", "-0", "00", "\xF0\x9F\x98\x80", "\xED\xA0\x80",
	"\xE0\x80\x80", "\xC3\xA9", ",", "[]", "{}", "\"\"", "\":\"", "1e",
	"\xEF\xBB\xBF",
};

static size_t mutate(char *buf, size_t len, size_t cap)
{
	int nmut = 1 + (int)rndn(3);
	for (int m = 0; m < nmut; m++) {
		size_t pos = len ? rndn(len + 1) : 0;
		switch (rndn(6)) {
		case 0:         /* replace with an interesting byte */
			if (pos < len)
				buf[pos] = interesting[rndn(sizeof interesting)];
			break;
		case 1:         /* replace with any byte */
			if (pos < len)
				buf[pos] = (char)rndn(256);
			break;
		case 2:         /* insert an interesting byte */
			if (len + 1 <= cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = interesting[rndn(sizeof interesting)];
				len++;
			}
			break;
		case 3:         /* delete a run of 1..4 bytes */
			if (pos < len) {
				size_t n = 1 + rndn(4);
				if (n > len - pos)
					n = len - pos;
				memmove(buf + pos, buf + pos + n, len - pos - n);
				len -= n;
			}
			break;
		case 4: {       /* insert a snippet */
			const char *s = snippets[rndn(sizeof snippets / sizeof snippets[0])];
			size_t n = strlen(s);
			if (len + n <= cap) {
				memmove(buf + pos + n, buf + pos, len - pos);
				memcpy(buf + pos, s, n);
				len += n;
			}
			break;
		}
		default:        /* truncate */
			len = pos;
			break;
		}
	}
	return len;
}

static void test_cjson_crosscheck(void)
{
	size_t nseeds = sizeof seeds / sizeof seeds[0];
	long accepted = 0, rejected = 0;
	int offsets_ok = 1;
	char buf[1024];
	for (size_t i = 0; i < nseeds; i++) {
		size_t slen = strlen(seeds[i]);
		struct bf_jsoncheck ck = {0};
		ok(bf_jsoncheck(seeds[i], slen, &ck) == 0 &&
		      cjson_parses_fully(seeds[i], slen),
		      "cJSON cross-check: seed %zu is valid for both", i);
		int agree = 1;
		for (int v = 0; v < 3000; v++) {
			memcpy(buf, seeds[i], slen);
			size_t n = mutate(buf, slen, sizeof buf);
			int rc = bf_jsoncheck(buf, n, &ck);
			if (rc == 0) {
				accepted++;
				if (!cjson_parses_fully(buf, n)) {
					diag("accepted but cJSON refuses: '%s'", show(buf, n));
					agree = 0;
				}
			} else {
				rejected++;
				if (!offset_consistent(buf, n, &ck)) {
					diag("inconsistent err_offset %zu (%s): '%s'",
					     ck.err_offset, ck.err_msg, show(buf, n));
					offsets_ok = 0;
				}
			}
		}
		ok(agree, "cJSON cross-check: accepted mutants of seed %zu parse "
		      "fully with cJSON", i);
	}
	diag("mutants accepted %ld, rejected %ld", accepted, rejected);
	ok(accepted >= 1000 && rejected >= 1000,
	      "cJSON cross-check: mutants include >= 1000 accepted and rejected");
	ok(offsets_ok, "rejected mutants: text cut at err_offset is valid or "
	      "unfinished");
}

int main(void)
{
	test_table();
	test_nesting();
	test_offsets();
	test_alignment();
	test_digit_runs();
	test_spans();
	test_cjson_crosscheck();

	return done_testing();
}
