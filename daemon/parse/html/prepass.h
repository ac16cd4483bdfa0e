// A pre-pass that shrinks an article page before gumbo parses it. "The page reader" below is
// parse/html.cpp with html/metadata, html/readability and html/clean.
//
// gumbo's tokenizer costs about the same per byte whatever the byte is, and most bytes of
// a news page are ones the page reader never reads: script and style bodies, comments, and
// attributes like data-*, srcset, onclick or SVG path data. shrink_html() removes exactly
// those while keeping gumbo's token stream, as far as the page reader can tell, the same:
//  - every tag stays a tag with the same name and self-closing flag; outside script/style
//    bodies every stretch of text stays, if shorter (below), so text nodes split and merge
//    as before;
//  - a comment becomes an empty comment (it still ends the text node before it);
//  - in text, a run of whitespace is cut to its first character, up to the first <pre> or
//    <listing> (whose text keeps its lines; textarea and xmp bodies are skipped whole).
//    Indentation is a third of a typical page after the other cuts, and the page reader reads
//    text only through collapse_spaces() or normalize_ws(), which cannot tell the two apart;
//  - a script body goes, unless its type could be JSON (JSON-LD is read by the page reader);
//  - a style body goes;
//  - a start tag keeps the attributes the page reader reads and those that steer HTML5 tree
//    construction (kKeptAttributes in the .cpp); formatting elements (a, b, font, ...)
//    keep all of theirs, because the tree builder compares their attributes.
// The tokenizer's state depends on the tree builder (a <style> inside <svg> or <select> is
// no raw-text element). The pass models only what it can prove: from the first point where
// it cannot (framesets, <plaintext>, SVG/MathML integration points, tags other than
// options inside <select>, CDATA, unterminated tags or comments, ...) it copies the rest
// of the document unchanged. Correctness over speed: unchanged bytes are always right.
#pragma once

#include <gumbo.h>

#include <string>
#include <string_view>

namespace newsd::parse {

// The page with the bytes above removed. Takes any bytes; the page reader passes valid UTF-8.
std::string shrink_html(std::string_view html);

// `text` with every run of HTML whitespace (space, tab, LF, FF, CR) cut to its first
// character: what shrink_html() may have done to the text of a node that is not inside a
// preformatted element. A reader that applies it to such text reads the same with or
// without the pre-pass.
std::string collapse_spaces(std::string_view text);

// An element whose text keeps its whitespace as written, which shrink_html() leaves alone:
// pre, listing, textarea, xmp, plaintext, in the HTML namespace (an SVG <textarea> is none).
bool is_preformatted(const GumboNode* node);

}  // namespace newsd::parse
