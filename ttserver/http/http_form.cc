#include "ttserver/http/http_form.h"

#include <optional>
#include <unordered_map>

#include "ttserver/http/http_message.h"

namespace tt {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The form's values in order of first appearance, a repeated name's values
// merged into one.
class FormFields {
 public:
  explicit FormFields(std::vector<std::string>* values) : values_(values) {}
  void Add(std::string name, std::string_view value) {
    auto [it, inserted] = index_.try_emplace(std::move(name), values_->size());
    if (inserted) {
      values_->emplace_back(value);
    } else {
      (*values_)[it->second].append(1, '\0').append(value);
    }
  }

 private:
  std::vector<std::string>* values_;
  std::unordered_map<std::string, size_t> index_;  // name -> its slot in *values_
};

// name=value pairs separated by '&'; a pair without '=' has an empty value.
bool ParseUrlEncoded(std::string_view body, FormFields* fields) {
  while (!body.empty()) {
    const size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name, value;
    if (!PercentDecode(pair.substr(0, eq), &name)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &value)) return false;
    fields->Add(std::move(name), value);
  }
  return true;
}

// The parameter `name` of a header value such as `multipart/form-data;
// boundary=xyz` or `form-data; name="field"`, quoted or not.
std::optional<std::string_view> HeaderParameter(std::string_view value, std::string_view name) {
  std::string_view rest = value;
  for (;;) {
    const size_t semi = rest.find(';');
    if (semi == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(semi + 1);
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = TrimBlanks(rest.substr(0, eq));
    rest = TrimBlanks(rest.substr(eq + 1));
    std::string_view parameter;
    if (!rest.empty() && rest.front() == '"') {
      const size_t close = rest.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      parameter = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);  // a ';' inside the quotes is not a separator
    } else {
      parameter = TrimBlanks(rest.substr(0, rest.find(';')));
    }
    if (EqualsIgnoreCase(key, name)) return parameter;
  }
}

// The field name in the header lines of one multipart part.
std::optional<std::string_view> PartName(std::string_view headers) {
  while (!headers.empty()) {
    const size_t end = headers.find("\r\n");
    const std::string_view line = headers.substr(0, end);
    headers.remove_prefix(end == std::string_view::npos ? headers.size() : end + 2);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        EqualsIgnoreCase(TrimBlanks(line.substr(0, colon)), "Content-Disposition")) {
      return HeaderParameter(line.substr(colon + 1), "name");
    }
  }
  return std::nullopt;
}

// RFC 7578: parts between "--boundary" lines, each with header lines, a
// blank line and its data; parts without a field name are skipped.
bool ParseMultipart(std::string_view body, std::string_view boundary, FormFields* fields) {
  if (boundary.empty()) return false;
  const std::string delimiter = "--" + std::string(boundary);
  const std::string data_end_marker = "\r\n" + delimiter;
  size_t pos = body.find(delimiter);  // a preamble before it is ignored
  if (pos == std::string_view::npos) return false;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return true;    // the closing delimiter
    const size_t line_end = body.find("\r\n", pos);  // after any transport padding
    if (line_end == std::string_view::npos) return false;
    // The blank line ending the part's headers; right at line_end when it has none.
    const size_t blank = body.find("\r\n\r\n", line_end);
    if (blank == std::string_view::npos) return false;
    const std::string_view headers =
        blank == line_end ? std::string_view() : body.substr(line_end + 2, blank - line_end - 2);
    const size_t data_begin = blank + 4;
    const size_t data_end = body.find(data_end_marker, data_begin);
    if (data_end == std::string_view::npos) return false;
    if (std::optional<std::string_view> name = PartName(headers)) {
      fields->Add(std::string(*name), body.substr(data_begin, data_end - data_begin));
    }
    pos = data_end + 2;
  }
}

bool KeptByFormEncoding(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("_-.!~*'()").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c != '%') {
      out->push_back(c);
    } else {
      if (i + 2 >= in.size()) return false;
      const int high = HexValue(in[i + 1]);
      const int low = HexValue(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return true;
}

bool ParseFormValues(std::string_view body, std::string_view content_type,
                     std::vector<std::string>* values) {
  values->clear();
  FormFields fields(values);
  if (StartsWithIgnoreCase(TrimBlanks(content_type), "multipart/form-data")) {
    return ParseMultipart(body, HeaderParameter(content_type, "boundary").value_or(""), &fields);
  }
  return ParseUrlEncoded(body, &fields);
}

std::string EncodeFormResult(const std::vector<std::string>& elements) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append("res").append(std::to_string(i + 1)).push_back('=');
    for (unsigned char c : elements[i]) {
      if (KeptByFormEncoding(c)) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  }
  return out;
}

}  // namespace tt
