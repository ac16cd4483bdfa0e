// What the HTML module knows about each element, in one table indexed by gumbo's tag: which
// elements break paragraphs of extracted text, which hold no text, which are void, which
// the tree builder closes by itself, which are page furniture for readability, and how the
// one-pass text extraction treats their start tags. Each property is one list below, so
// the text walk, the one-pass text extraction, the depth estimate, readability and the
// cleaner read the same lists.
#pragma once

#include <gumbo.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "core/ascii.h"

namespace newsd::parse::html {

// How the HTML5 tree builder treats a start tag, reduced to what matters for text
// (fast_text.cpp).
enum class BuilderClass : std::uint8_t {
  unsupported,  // needs the full parser
  phrasing,     // ordinary inline element: no effect on paragraphs
  formatting,   // b, i, ...: inline, but misnesting triggers the adoption agency
  anchor,       // a: formatting, and a nested <a> closes the open one
  void_inline,  // img, wbr
  br,
  hr,
  block,    // closes an open p, opens a paragraph
  heading,  // h1-h6: as block, and a heading directly inside a heading is closed
  list_item,
  definition,  // dd, dt
};

enum TagFlag : std::uint16_t {
  kParagraph = 1 << 0,     // starts and ends a paragraph of extracted text
  kNoText = 1 << 1,        // content is never text
  kVoid = 1 << 2,          // no content and no end tag
  kImpliedEnd = 1 << 3,    // closed by the tree builder without an end tag (p, li, td, ...)
  kBlockish = 1 << 4,      // readability: a div with such a child is no paragraph
  kFurniture = 1 << 5,     // readability: never article text
  kPreformatted = 1 << 6,  // text keeps its whitespace (in the HTML namespace)
  kUnmirrored = 1 << 7,    // clean.cpp's text mirror does not follow it (see there)
  kTablePart = 1 << 8,     // table structure, ignored by the tree builder outside a table
};

struct TagInfo {
  std::uint16_t flags = 0;
  BuilderClass builder = BuilderClass::unsupported;
};

inline constexpr std::array<TagInfo, GUMBO_TAG_LAST + 1> kTagTable = [] {
  std::array<TagInfo, GUMBO_TAG_LAST + 1> t{};
  const auto flag = [&t](std::uint16_t f, std::initializer_list<GumboTag> tags) {
    for (const GumboTag g : tags) t[g].flags |= f;
  };
  const auto builder = [&t](BuilderClass c, std::initializer_list<GumboTag> tags) {
    for (const GumboTag g : tags) t[g].builder = c;
  };
  flag(kParagraph, {GUMBO_TAG_P,       GUMBO_TAG_DIV,     GUMBO_TAG_BR,      GUMBO_TAG_H1,
                    GUMBO_TAG_H2,      GUMBO_TAG_H3,      GUMBO_TAG_H4,      GUMBO_TAG_H5,
                    GUMBO_TAG_H6,      GUMBO_TAG_LI,      GUMBO_TAG_UL,      GUMBO_TAG_OL,
                    GUMBO_TAG_DL,      GUMBO_TAG_DT,      GUMBO_TAG_DD,      GUMBO_TAG_BLOCKQUOTE,
                    GUMBO_TAG_PRE,     GUMBO_TAG_TABLE,   GUMBO_TAG_TR,      GUMBO_TAG_THEAD,
                    GUMBO_TAG_TBODY,   GUMBO_TAG_TFOOT,   GUMBO_TAG_CAPTION, GUMBO_TAG_SECTION,
                    GUMBO_TAG_ARTICLE, GUMBO_TAG_ASIDE,   GUMBO_TAG_HEADER,  GUMBO_TAG_FOOTER,
                    GUMBO_TAG_NAV,     GUMBO_TAG_MAIN,    GUMBO_TAG_FIGURE,  GUMBO_TAG_FIGCAPTION,
                    GUMBO_TAG_HR,      GUMBO_TAG_ADDRESS, GUMBO_TAG_FORM,    GUMBO_TAG_FIELDSET,
                    GUMBO_TAG_DETAILS, GUMBO_TAG_SUMMARY, GUMBO_TAG_CENTER,  GUMBO_TAG_BODY,
                    GUMBO_TAG_HTML});
  flag(kNoText, {GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE, GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE,
                 GUMBO_TAG_HEAD, GUMBO_TAG_IFRAME, GUMBO_TAG_OBJECT, GUMBO_TAG_SVG, GUMBO_TAG_MATH,
                 GUMBO_TAG_SELECT, GUMBO_TAG_BUTTON});
  flag(kVoid, {GUMBO_TAG_AREA, GUMBO_TAG_BASE, GUMBO_TAG_BR, GUMBO_TAG_COL, GUMBO_TAG_EMBED,
               GUMBO_TAG_HR, GUMBO_TAG_IMG, GUMBO_TAG_INPUT, GUMBO_TAG_LINK, GUMBO_TAG_META,
               GUMBO_TAG_PARAM, GUMBO_TAG_SOURCE, GUMBO_TAG_TRACK, GUMBO_TAG_WBR});
  flag(kImpliedEnd,
       {GUMBO_TAG_P, GUMBO_TAG_LI, GUMBO_TAG_DT, GUMBO_TAG_DD, GUMBO_TAG_OPTION, GUMBO_TAG_OPTGROUP,
        GUMBO_TAG_TR, GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT,
        GUMBO_TAG_COLGROUP, GUMBO_TAG_RB, GUMBO_TAG_RT, GUMBO_TAG_RP});
  flag(kBlockish, {GUMBO_TAG_P, GUMBO_TAG_DIV, GUMBO_TAG_SECTION, GUMBO_TAG_ARTICLE, GUMBO_TAG_MAIN,
                   GUMBO_TAG_TABLE, GUMBO_TAG_UL, GUMBO_TAG_OL, GUMBO_TAG_DL, GUMBO_TAG_BLOCKQUOTE,
                   GUMBO_TAG_PRE, GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3, GUMBO_TAG_H4,
                   GUMBO_TAG_H5, GUMBO_TAG_H6, GUMBO_TAG_FIGURE, GUMBO_TAG_FORM});
  flag(kFurniture, {GUMBO_TAG_NAV,    GUMBO_TAG_HEADER,   GUMBO_TAG_FOOTER,   GUMBO_TAG_ASIDE,
                    GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE,    GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE,
                    GUMBO_TAG_IFRAME, GUMBO_TAG_OBJECT,   GUMBO_TAG_EMBED,    GUMBO_TAG_SVG,
                    GUMBO_TAG_MATH,   GUMBO_TAG_CANVAS,   GUMBO_TAG_BUTTON,   GUMBO_TAG_SELECT,
                    GUMBO_TAG_INPUT,  GUMBO_TAG_TEXTAREA, GUMBO_TAG_MENU,     GUMBO_TAG_HEAD,
                    GUMBO_TAG_LINK,   GUMBO_TAG_META});
  flag(kUnmirrored, {GUMBO_TAG_FORM,      GUMBO_TAG_LISTING,  GUMBO_TAG_ISINDEX, GUMBO_TAG_TITLE,
                     GUMBO_TAG_TEXTAREA,  GUMBO_TAG_XMP,      GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES,
                     GUMBO_TAG_PLAINTEXT, GUMBO_TAG_STYLE,    GUMBO_TAG_SCRIPT,  GUMBO_TAG_IFRAME,
                     GUMBO_TAG_NOSCRIPT,  GUMBO_TAG_TEMPLATE, GUMBO_TAG_BASE,    GUMBO_TAG_BASEFONT,
                     GUMBO_TAG_BGSOUND,   GUMBO_TAG_LINK,     GUMBO_TAG_META,    GUMBO_TAG_FRAMESET,
                     GUMBO_TAG_FRAME,     GUMBO_TAG_HEAD,     GUMBO_TAG_HTML,    GUMBO_TAG_BODY});
  flag(kTablePart, {GUMBO_TAG_CAPTION, GUMBO_TAG_COL, GUMBO_TAG_COLGROUP, GUMBO_TAG_TBODY,
                    GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT, GUMBO_TAG_TR, GUMBO_TAG_TD, GUMBO_TAG_TH});
  flag(kPreformatted,
       {GUMBO_TAG_PRE, GUMBO_TAG_LISTING, GUMBO_TAG_TEXTAREA, GUMBO_TAG_XMP, GUMBO_TAG_PLAINTEXT});

  builder(BuilderClass::phrasing,
          {GUMBO_TAG_SPAN, GUMBO_TAG_ABBR, GUMBO_TAG_CITE, GUMBO_TAG_DFN, GUMBO_TAG_KBD,
           GUMBO_TAG_MARK, GUMBO_TAG_Q, GUMBO_TAG_SAMP, GUMBO_TAG_SUB, GUMBO_TAG_SUP,
           GUMBO_TAG_TIME, GUMBO_TAG_VAR, GUMBO_TAG_BDI, GUMBO_TAG_BDO, GUMBO_TAG_INS,
           GUMBO_TAG_DEL, GUMBO_TAG_DATA, GUMBO_TAG_LABEL, GUMBO_TAG_UNKNOWN});
  builder(BuilderClass::formatting,
          {GUMBO_TAG_B, GUMBO_TAG_BIG, GUMBO_TAG_CODE, GUMBO_TAG_EM, GUMBO_TAG_FONT, GUMBO_TAG_I,
           GUMBO_TAG_S, GUMBO_TAG_SMALL, GUMBO_TAG_STRIKE, GUMBO_TAG_STRONG, GUMBO_TAG_TT,
           GUMBO_TAG_U});
  builder(BuilderClass::anchor, {GUMBO_TAG_A});
  builder(BuilderClass::void_inline, {GUMBO_TAG_IMG, GUMBO_TAG_WBR});
  builder(BuilderClass::br, {GUMBO_TAG_BR});
  builder(BuilderClass::hr, {GUMBO_TAG_HR});
  builder(BuilderClass::block,
          {GUMBO_TAG_ADDRESS,  GUMBO_TAG_ARTICLE,    GUMBO_TAG_ASIDE,   GUMBO_TAG_BLOCKQUOTE,
           GUMBO_TAG_CENTER,   GUMBO_TAG_DETAILS,    GUMBO_TAG_DIV,     GUMBO_TAG_DL,
           GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,  GUMBO_TAG_FOOTER,
           GUMBO_TAG_HEADER,   GUMBO_TAG_MAIN,       GUMBO_TAG_NAV,     GUMBO_TAG_OL,
           GUMBO_TAG_P,        GUMBO_TAG_SECTION,    GUMBO_TAG_SUMMARY, GUMBO_TAG_PRE,
           GUMBO_TAG_UL});
  builder(BuilderClass::heading,
          {GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3, GUMBO_TAG_H4, GUMBO_TAG_H5, GUMBO_TAG_H6});
  builder(BuilderClass::list_item, {GUMBO_TAG_LI});
  builder(BuilderClass::definition, {GUMBO_TAG_DD, GUMBO_TAG_DT});
  return t;
}();

constexpr bool has(GumboTag t, TagFlag f) {
  return (kTagTable[t].flags & f) != 0;
}

constexpr BuilderClass builder_class(GumboTag t) {
  return kTagTable[t].builder;
}

// The tag named `raw` (ASCII case-insensitively, as the tokenizer lowers names);
// GUMBO_TAG_UNKNOWN for names gumbo has no tag for.
inline GumboTag tag_named(std::string_view raw) {
  char name[16];
  if (raw.size() >= sizeof name) return GUMBO_TAG_UNKNOWN;
  for (std::size_t k = 0; k < raw.size(); ++k) name[k] = ascii::to_lower(raw[k]);
  return gumbo_tagn_enum(name, static_cast<unsigned>(raw.size()));
}

}  // namespace newsd::parse::html
