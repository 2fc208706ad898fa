// The byte codings of the HTTP mapping: keys, misc forms, misc results.
#include "ttserver/http/http_form.h"

#include <gtest/gtest.h>

namespace tt {
namespace {

std::string Decoded(std::string_view in) {
  std::string out;
  return PercentDecode(in, &out) ? out : "<invalid>";
}

std::vector<std::string> Form(std::string_view body, std::string_view content_type = "") {
  std::vector<std::string> values;
  if (!ParseFormValues(body, content_type, &values)) return {"<invalid>"};
  return values;
}

using Values = std::vector<std::string>;

TEST(PercentDecodeTest, EscapesEitherCaseAndPlusAsSpace) {
  EXPECT_EQ(Decoded("a%2fb%2F+c%00"), std::string("a/b/ c\0", 7));
  EXPECT_EQ(Decoded(""), "");
  EXPECT_EQ(Decoded("?x=1#f"), "?x=1#f");
}

TEST(PercentDecodeTest, IncompleteOrNonHexEscapeIsInvalid) {
  EXPECT_EQ(Decoded("ab%ZZcd"), "<invalid>");
  EXPECT_EQ(Decoded("ab%2"), "<invalid>");
  EXPECT_EQ(Decoded("ab%"), "<invalid>");
  EXPECT_EQ(Decoded("%g0"), "<invalid>");
}

TEST(ParseFormValuesTest, UrlEncodedValuesInOrderOfFirstName) {
  EXPECT_EQ(Form("x=k1&y=k2+z"), (Values{"k1", "k2 z"}));
  EXPECT_EQ(Form("a=k1&b=v&a=k2"), (Values{std::string("k1\0k2", 5), "v"}));
  EXPECT_EQ(Form("&&flag&e=&=anon&"), (Values{"", "", "anon"}));
  EXPECT_EQ(Form(""), Values{});
  EXPECT_EQ(Form("a=%zz"), Values{"<invalid>"});
}

TEST(ParseFormValuesTest, MultipartPartsByName) {
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"x\"\r\nContent-Type: text/plain\r\n\r\n"
      "one\r\ntwo\r\n--b\r\ncontent-disposition: form-data; name=y\r\n\r\n\r\n"
      "--b\r\n\r\nnameless\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n3\r\n--b--";
  EXPECT_EQ(Form(body, "multipart/form-data; boundary=b"), (Values{std::string("one\r\ntwo\0"
                                                                               "3",
                                                                               10),
                                                                   ""}));
  EXPECT_EQ(Form(body, "Multipart/Form-Data; charset=x; boundary=\"b\""),
            (Values{std::string("one\r\ntwo\0"
                                "3",
                                10),
                    ""}));
}

TEST(ParseFormValuesTest, MalformedMultipartIsInvalid) {
  EXPECT_EQ(Form("--b\r\n\r\nx\r\n--b--", "multipart/form-data"), Values{"<invalid>"});
  EXPECT_EQ(Form("no delimiter", "multipart/form-data; boundary=b"), Values{"<invalid>"});
  EXPECT_EQ(Form("--b\r\nContent-Disposition: form-data; name=x\r\n\r\nunterminated",
                 "multipart/form-data; boundary=b"),
            Values{"<invalid>"});
}

TEST(EncodeFormResultTest, NumberedAndPercentEncoded) {
  EXPECT_EQ(EncodeFormResult({}), "");
  EXPECT_EQ(EncodeFormResult({"k1", "v1"}), "res1=k1&res2=v1");
  EXPECT_EQ(EncodeFormResult({std::string("a b/&=\0\xff_-.!~*'()", 17)}),
            "res1=a%20b%2F%26%3D%00%FF_-.!~*'()");
}

}  // namespace
}  // namespace tt
