// What every part of the enumerator's form shares: its words in Vietnamese and English, the language
// chosen, and a safe way to make elements (what a definition or the server says is never parsed as
// HTML: a label of an imported XLSForm stays text, beside the token the form keeps).
"use strict";

const UI = {
  vi: { title: "Phiếu phỏng vấn", unsent: "Chưa gửi", sentcount: "Đã gửi", drafts: "Đang điền",
        signin: "Đăng nhập", username: "Tên đăng nhập", password: "Mật khẩu", signout: "Đăng xuất",
        usetoken: "Dùng mã truy cập do quản trị viên cấp", token: "Mã truy cập của điều tra viên", save: "Lưu",
        signinerror: "Không đăng nhập được; hãy kiểm tra mạng.", nocollect: "Chỉ tài khoản điều tra viên mới điền phiếu trên thiết bị này.",
        signoutunsent: "Còn phiếu chưa gửi: hãy gửi hết trước khi đăng xuất.",
        signedout: "Máy chủ không còn nhận mã của thiết bị này (đã thu hồi hoặc hết hạn): hãy đăng nhập lại; phiếu chưa gửi vẫn được giữ.",
        survey: "Khảo sát", finish: "Hoàn thành phiếu", new: "Phiếu mới", outbox: "Phiếu trên máy", send: "Gửi ngay",
        online: "Có mạng", offline: "Mất mạng", required: "Câu này là bắt buộc.",
        constraint: "Câu trả lời không hợp lệ.", number: "Cần nhập một số.", whole: "Cần nhập số nguyên.",
        fix: "Còn {n} câu cần sửa; câu đầu tiên được đánh dấu bên dưới.", saved: "Đã lưu phiếu trên máy; phiếu sẽ được gửi khi có mạng.",
        sentnow: "Đã gửi phiếu lên máy chủ.", queued: "chờ gửi", draft: "đang điền", discard: "Bỏ phiếu đang điền?",
        rejected: "bị từ chối", conflict: "trùng mã", location: "Địa bàn",
        badtoken: "Mã truy cập không hợp lệ.", nosurvey: "Chưa tải được bộ câu hỏi; cần có mạng lần đầu.",
        choose: "Chọn", pickplace: "Vui lòng chọn đủ địa bàn của phiếu.",
        noplaces: "Bạn chưa được phân công thôn nào của khảo sát này nên chưa thể điền phiếu. Hãy báo giám sát viên; danh sách địa bàn sẽ tự cập nhật khi có mạng.",
        noplacelist: "Chưa tải được danh sách địa bàn được phân công; cần có mạng một lần.",
        elsewhere: "Câu này (tệp đính kèm hoặc nhóm lặp) cần trả lời bằng ODK Collect hoặc Enketo; biểu mẫu web chưa nhận được.",
        locate: "Lấy vị trí", locating: "Đang lấy vị trí…", nolocation: "Không lấy được vị trí; hãy nhập 'vĩ_độ kinh_độ'.", ok: "Đồng ý (OK)",
        back: "Trước", next: "Tiếp", review: "Xem lại", group: "Nhóm {i}/{n}", questions: "Câu hỏi",
        summary: "Xem lại trước khi hoàn thành", answered: "{a}/{n} câu đã trả lời", toFix: "{n} câu cần sửa", edit: "Sửa",
        ready: "Phiếu đã đủ; bấm “Hoàn thành phiếu” để lưu và gửi.", sentkept: "Phiếu đã gửi không còn giữ trên máy.",
        savefile: "Lưu phiếu chưa gửi ra tệp", nounsent: "Không có phiếu chưa gửi.",
        filesaved: "Đã lưu {n} phiếu chưa gửi ra tệp; giám sát viên tải tệp lên trang giám sát thực địa.",
        "col:province": "Tỉnh", "col:district": "Huyện", "col:commune": "Xã", "col:village": "Thôn" },
  en: { title: "Interview form", unsent: "Unsent", sentcount: "Sent", drafts: "In progress",
        signin: "Sign in", username: "Username", password: "Password", signout: "Sign out",
        usetoken: "Use an access token from the administrator", token: "Enumerator access token", save: "Save",
        signinerror: "Could not sign in; check the network.", nocollect: "Only an enumerator's account fills interviews on this device.",
        signoutunsent: "Interviews are still unsent: send them all before signing out.",
        signedout: "The server no longer takes this device's token (revoked or expired): sign in again; unsent interviews are kept.",
        survey: "Survey", finish: "Finish interview", new: "New interview", outbox: "Interviews on this device", send: "Send now",
        online: "Online", offline: "Offline", required: "This question is required.",
        constraint: "This answer is not valid.", number: "Enter a number.", whole: "Enter a whole number.",
        fix: "{n} questions need fixing; the first one is marked below.", saved: "Saved on this device; it will be sent when there is signal.",
        sentnow: "Sent to the server.", queued: "waiting", draft: "in progress", discard: "Discard the interview being filled?",
        rejected: "refused", conflict: "id conflict", location: "Location",
        badtoken: "The access token is not valid.", nosurvey: "The questionnaire is not loaded yet; the first time needs signal.",
        choose: "Choose", pickplace: "Please choose every level of the interview's place.",
        noplaces: "No village of this survey is assigned to you yet, so no interview can be filled. Tell your supervisor; the list of places updates by itself when there is signal.",
        noplacelist: "The list of your assigned places is not loaded yet; it needs signal once.",
        elsewhere: "This question (a file or a repeat) is answered in ODK Collect or Enketo; the web form does not take it yet.",
        locate: "Get location", locating: "Getting the location…", nolocation: "No location; type 'latitude longitude'.", ok: "OK",
        back: "Back", next: "Next", review: "Review", group: "Group {i} of {n}", questions: "Questions",
        summary: "Review before finishing", answered: "{a} of {n} questions answered", toFix: "{n} to fix", edit: "Edit",
        ready: "The interview is complete; press “Finish interview” to save and send it.", sentkept: "Sent interviews are not kept on the device.",
        savefile: "Save unsent interviews to a file", nounsent: "No interview is unsent.",
        filesaved: "{n} unsent interviews saved to a file; a supervisor uploads it on the fieldwork page.",
        "col:province": "Province", "col:district": "District", "col:commune": "Commune", "col:village": "Village" },
};

let lang = new URLSearchParams(location.search).get("lang") || localStorage.getItem("papi-lang") || "vi";
if (!UI[lang]) lang = "vi";
const $ = (id) => document.getElementById(id);
// A word of the page's language, with {name} filled from `args`.
const tr = (k, args) => ((UI[lang] || UI.vi)[k] || k).replace(/\{(\w+)\}/g, (_, n) => (args && n in args ? String(args[n]) : ""));
const label = (l) => (l && (l[lang] || l.vi || Object.values(l)[0])) || "";
// The server's errors carry both languages.
const said = (message) => (message && typeof message === "object" ? label(message) : message || "");

// An element with attributes (an undefined one is left out) and children (strings become text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined) e.setAttribute(name, String(value));
  }
  e.append(...children);
  return e;
}

// The line above the screens: what just happened, or what needs doing ("ok" for good news).
function notify(text, ok) {
  $("form-error").textContent = text;
  $("form-error").classList.toggle("ok", !!ok);
}
