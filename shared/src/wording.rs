//! What people read when a command is turned down, in Vietnamese: one table, from each
//! refusal's code ([`Reason`]) to its sentence, with the refusal's values put in place.
//!
//! The services decide in no language: a refusal is a code and its values, with an English
//! message beside it for operators' logs. An edge (the CLI, the dashboard) words it for its
//! reader here, and falls back to a sentence of the failure's kind, never to the English, when a
//! code is not in the table (a newer service than the edge).
//!
//! A template names a value as `{name}`, or `{name:form}` to write it as people read it:
//! `date` (dd/mm/yyyy), `points` (a decimal comma), `kind` (a kind of unit), `access`,
//! `event` (what an event records), `word` (one of the services' fixed English words, from
//! [`WORDS_VI`]), `components` (a list of PAR INDEX fields), and for a value that may be
//! absent `at` (" tại …"), `on` (" ngày …"), `and` (" và …"), `maybe-points` ("(chưa có)")
//! and `until` ("đến ngày …" or "không thời hạn").

use crate::event::{Access, Component, UnitKind};
use crate::reply::{FailureKind, Reason};
use serde_json::Value;

/// English words no Vietnamese text of ours may show (outside code and what is marked
/// English): the tests look for them on every page and in every sentence of this table.
pub const ENGLISH_WORDS: &[&str] = &[
    "the",
    "and",
    "of",
    "is",
    "not",
    "with",
    "unknown",
    "messages",
    "sequence",
    "signed",
    "problem",
    "aggregates",
    "figures",
    "page",
    "rank",
    "score",
    "task",
    "unit",
    "year",
    "PASS",
    "FAIL",
    "Home",
    "Overview",
    "Evidence",
    "there",
    "already",
    "cannot",
    "evidence",
    "criterion",
    "points",
    "person",
    "refused",
    "must",
    "before",
    "after",
    "none",
];

/// The words of [`ENGLISH_WORDS`] that `text` shows, split as a reader reads ("2023-year" is
/// two words): what the browser test and this table's test look for.
pub fn english_in(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| ENGLISH_WORDS.contains(w)).collect()
}

/// Every refusal's sentence, by code.
pub const REFUSALS_VI: &[(&str, &str)] = &[
    // The signer check and the access table, in every service.
    ("signature.missing", "Yêu cầu chưa được ký: mỗi lệnh phải có chữ ký của người ra lệnh."),
    ("signature.bad-key", "Khóa ký gửi kèm không phải khóa công khai hợp lệ."),
    ("signature.malformed", "Chữ ký gửi kèm không đúng dạng."),
    ("signature.mismatch", "Chữ ký không khớp với yêu cầu: yêu cầu đã bị sửa sau khi ký, hoặc được ký bằng khóa khác."),
    ("signature.no-request", "Không có yêu cầu đã ký kèm theo."),
    ("signature.differs", "Yêu cầu đã ký không khớp với bản ghi."),
    ("signature.unreadable", "Yêu cầu đã ký không đọc được."),
    ("signature.passkey-unreadable", "Không đọc được chữ ký của khóa truy cập (passkey)."),
    ("signature.passkey-wrong-challenge", "Khóa truy cập đã ký một yêu cầu khác: yêu cầu đã bị sửa sau khi ký, hoặc được gửi tới nơi khác."),
    ("signature.passkey-wrong-site", "Chữ ký được tạo trên một trang không thuộc hệ thống này, nên không được chấp nhận."),
    ("signature.passkey-not-present", "Thiết bị không xác nhận có người dùng khi ký."),
    ("signature.passkey-mismatch", "Chữ ký của khóa truy cập không khớp với yêu cầu."),
    ("signature.passkey-bad-key", "Khóa truy cập không dùng được (chỉ nhận khóa ES256 hoặc Ed25519)."),
    ("access.unknown-key", "Khóa {key} chưa được đăng ký cho ai; quản trị hệ thống đăng ký khóa cho {actor} trước."),
    ("access.other-person", "Khóa {key} là của {owner}, không phải của {actor}, người được ghi là thực hiện."),
    ("access.revoked", "Khóa {key} của {actor} đã bị thu hồi ({reason}); hãy ký bằng khóa còn hiệu lực."),
    ("access.needs-administrator", "{actor} không được ghi việc {event:event}: việc này cần quyền quản trị hệ thống (ngày {on:date})."),
    ("access.needs-administrator-or-owner", "{actor} không được ghi việc {event:event}: việc này cần quyền quản trị hệ thống hoặc chính chủ khóa {units}."),
    ("access.needs-leader", "{actor} không được ghi việc {event:event}: việc này cần người đứng đầu hoặc lãnh đạo phụ trách CCHC đương nhiệm ngày {on:date} tại {units} hoặc đơn vị cấp trên."),
    ("access.needs-unit-leader", "{actor} không được ghi việc {event:event}: việc này cần người đứng đầu hoặc lãnh đạo phụ trách CCHC của chính {units} (ngày {on:date})."),
    ("access.needs-staff-or-leader", "{actor} không được ghi việc {event:event}: việc này cần quyền cán bộ, công chức tại {units}, hoặc lãnh đạo của đơn vị đó hay đơn vị cấp trên (ngày {on:date})."),
    ("access.needs-data-protection", "{actor} không được ghi việc {event:event}: việc này cần quyền bảo vệ dữ liệu cá nhân (ngày {on:date})."),
    ("access.needs-appraiser", "{actor} không được ghi việc {event:event}: việc này cần quyền thẩm định tại đơn vị có thẩm quyền thẩm định {units}, như Sở Nội vụ của tỉnh (ngày {on:date})."),
    ("access.needs-leader-or-appraiser", "{actor} không được ghi việc {event:event}: việc này cần lãnh đạo của {units} hay đơn vị cấp trên, hoặc người thẩm định đơn vị đó (ngày {on:date})."),
    ("access.needs-enrolment", "{actor} không được ghi việc {event:event}: mỗi người chỉ tự đăng ký khóa truy cập (passkey) của chính mình ({units})."),
    ("access.needs-genesis", "Hệ thống đã có quản trị; bước khởi tạo chỉ làm một lần."),
    ("access.needs-service", "{actor} không được ghi việc {event:event}: chỉ dịch vụ của hệ thống tự ghi việc này."),
    // The directory.
    ("directory.unit-exists", "Đơn vị {unit} đã có ({name}); hãy chọn mã khác."),
    ("directory.unknown-parent", "Không thể thêm đơn vị {unit} vào {parent}: chưa có đơn vị {parent}; hãy thêm đơn vị đó trước."),
    ("directory.too-deep", "Không thể thêm đơn vị {unit} vào {parent}: {parent} đã ở {levels} cấp dưới {root}, mức sâu nhất cây đơn vị cho phép."),
    ("directory.unknown-unit", "Không có đơn vị {unit}."),
    ("directory.unknown-person", "Không có người {person} trong danh mục."),
    ("directory.person-exists", "Người {person} đã được đăng ký ({name})."),
    ("directory.empty-name", "Tên của {what:word} {id} đang để trống; hãy ghi đầy đủ họ tên hoặc tên gọi."),
    ("directory.too-long", "Trường {field:word} của {id} dài {bytes} byte, quá mức cho phép."),
    ("directory.tenure-exists", "Nhiệm kỳ {tenure} đã có ({person} tại {unit}); hãy chọn mã nhiệm kỳ khác."),
    ("directory.overlap", "Không thể bổ nhiệm {person} làm {role} của {unit} từ ngày {from:date}: {holder} đang giữ chức vụ này từ ngày {held_from:date} {held_until:until}; hãy kết thúc nhiệm kỳ đó trước."),
    ("directory.bad-key", "{key} không phải khóa công khai của người dùng (nkeys, 56 ký tự, bắt đầu bằng U): {detail}."),
    ("directory.key-exists", "Khóa {key} đã được đăng ký cho {owner}; mỗi khóa chỉ thuộc một người."),
    ("directory.unknown-key", "Khóa {key} không được đăng ký cho {person}."),
    ("directory.key-already-revoked", "Khóa {key} của {person} đã bị thu hồi trước đó."),
    ("directory.empty-reason", "Chưa ghi lý do; hãy nói vì sao thu hồi khóa."),
    ("directory.unit-needed", "Quyền {access:access} gắn với một đơn vị: hãy ghi đơn vị (--unit)."),
    ("directory.no-unit-wanted", "Quyền {access:access} áp dụng chung, không gắn với đơn vị: hãy bỏ --unit."),
    ("directory.already-granted", "{person} đã có quyền {access:access}{at:at} từ ngày {from:date}."),
    ("directory.not-granted", "{person} không có quyền {access:access}{at:at} để thu hồi."),
    ("directory.withdraw-not-after-grant", "Quyền {access:access} của {person} bắt đầu ngày {from:date}, nên chỉ kết thúc được sau ngày đó, không phải ngày {to:date}."),
    ("directory.unknown-tenure", "Không có nhiệm kỳ {tenure}."),
    ("directory.already-ended", "Nhiệm kỳ {tenure} của {person} tại {unit} đã kết thúc ngày {to:date}."),
    ("directory.end-not-after-start", "Nhiệm kỳ {tenure} của {person} tại {unit} bắt đầu ngày {from:date}, nên chỉ kết thúc được sau ngày đó, không phải ngày {to:date}."),
    ("directory.bad-code-digest", "{digest} không phải mã băm của mã đăng ký (64 chữ số hệ mười sáu viết thường)."),
    ("directory.code-digest-used", "Đã có lượt đăng ký mở với mã băm này; hãy tạo mã mới."),
    ("directory.enrolment-days", "Mã đăng ký có hiệu lực từ hôm nay ({today:date}) và tối đa {days} ngày, không thể đến ngày {until:date}."),
    ("directory.unknown-code", "Không có lượt đăng ký nào của {person} với mã này; hãy kiểm tra lại mã được cấp."),
    ("directory.code-used", "Mã đăng ký này của {person} đã được dùng; hãy đề nghị quản trị hệ thống cấp mã mới."),
    ("directory.code-expired", "Mã đăng ký này của {person} đã hết hạn sau ngày {until:date}; hãy đề nghị quản trị hệ thống cấp mã mới."),
    ("directory.bad-passkey", "Khóa truy cập (passkey) không dùng được: {detail}."),
    ("directory.unit-ended", "Đơn vị {unit} đã thôi hoạt động từ ngày {on:date} (đơn vị kế thừa: {successor}); hãy thực hiện tại đơn vị kế thừa."),
    ("directory.no-basis", "Việc sắp xếp đơn vị {unit} cần căn cứ pháp lý: số, ký hiệu của văn bản quyết định."),
    ("directory.basis-in-future", "Văn bản làm căn cứ sắp xếp đơn vị {unit} ghi ngày {date:date}, sau hôm nay ({today:date})."),
    ("directory.effective-in-future", "Việc sắp xếp đơn vị {unit} có hiệu lực từ ngày {effective:date}, sau hôm nay ({today:date}); hãy ghi nhận từ ngày đó trở đi."),
    ("directory.own-successor", "Đơn vị {unit} không thể là đơn vị kế thừa của chính nó."),
    ("directory.successor-below", "{successor} trực thuộc {unit}, nên không thể kế thừa khi {unit} thôi hoạt động."),
    ("directory.successor-kind", "{unit} là {kind:kind}, còn {successor} là {successor_kind:kind}: đơn vị sáp nhập hoặc chia tách phải do đơn vị cùng loại kế thừa (đơn vị giải thể thì có thể giao cho bất kỳ đơn vị nào)."),
    ("directory.units-remain-below", "{child} (và {more} đơn vị khác) vẫn trực thuộc {unit}; hãy chuyển hoặc sắp xếp các đơn vị đó trước."),
    (
        "directory.before-earlier-change",
        "Thay đổi của đơn vị {unit} có hiệu lực từ ngày {effective}, trước một thay đổi đã ghi có \
         hiệu lực từ ngày {earlier}; các thay đổi của một đơn vị được ghi theo thứ tự hiệu lực.",
    ),
    ("directory.same-name", "Đơn vị {unit} đã mang tên “{name}”."),
    ("directory.empty-title", "Chức danh mới của {person} đang để trống; hãy ghi chức danh như thường gọi."),
    ("directory.same-title", "{person} đã mang chức danh “{title}”."),
    ("directory.title-in-future", "Chức danh mới của {person} có hiệu lực từ ngày {effective:date}, sau hôm nay ({today:date}); hãy ghi nhận từ ngày đó trở đi."),
    ("directory.same-parent", "Đơn vị {unit} đã trực thuộc {parent}."),
    ("directory.root-stays", "Đơn vị {unit} không có đơn vị cấp trên (cấp tỉnh), nên không chuyển sang trực thuộc đơn vị khác được."),
    ("directory.under-itself", "{parent} là {unit} hoặc trực thuộc {unit}, nên {unit} không thể chuyển sang trực thuộc {parent}."),
    // Tasks.
    ("tasks.unit-ended", "Đơn vị {unit} đã thôi hoạt động từ ngày {on:date} (đơn vị kế thừa: {successor}); hãy giao việc cho đơn vị kế thừa."),
    ("tasks.not-registered", "{actor} chưa được đăng ký trong danh mục; hãy đề nghị quản trị hệ thống đăng ký."),
    ("tasks.not-a-leader", "{actor} không phải người đứng đầu hay lãnh đạo phụ trách CCHC đương nhiệm ngày {on:date} tại {unit_name} hoặc đơn vị cấp trên, nên không được {action:word} {subject}."),
    ("tasks.may-not-complete", "{actor} không được báo hoàn thành nhiệm vụ {task}: chỉ người được giao hoặc lãnh đạo đương nhiệm của {unit} hay đơn vị cấp trên mới được."),
    ("tasks.unknown-unit", "Không có đơn vị {unit}."),
    ("tasks.unknown-person", "Không có người {person} trong danh mục."),
    ("tasks.unknown-task", "Không có nhiệm vụ {task}."),
    ("tasks.unknown-plan", "Không có kế hoạch {plan}."),
    ("tasks.task-exists", "Nhiệm vụ {task} đã có (tại đơn vị {unit}); hãy chọn mã khác."),
    ("tasks.plan-exists", "Kế hoạch {plan} đã có (tại đơn vị {unit}); hãy chọn mã khác."),
    ("tasks.finding-exists", "Hạn chế {finding} đã được ghi (và đã mở nhiệm vụ {task})."),
    ("tasks.plan-not-above", "Kế hoạch {plan} thuộc {plan_unit}, không phải {unit} hay đơn vị cấp trên của nó."),
    ("tasks.plan-year", "Kế hoạch {plan} không thể cho năm {year}: kế hoạch ban hành ngày {on:date} chỉ cho năm trước, năm đó hoặc năm sau."),
    ("tasks.not-five-clear", "Nhiệm vụ {task} chưa đủ \"5 rõ\": thiếu {missing:word}; mỗi nhiệm vụ cần rõ đơn vị chủ trì, người thực hiện, nội dung, kết quả (sản phẩm) và thời hạn, do lãnh đạo giao."),
    ("tasks.empty-text", "{what:word} của {id} đang để trống; {why:word}."),
    ("tasks.too-long", "{what:word} của {id} dài {bytes} byte, quá mức cho phép."),
    ("tasks.due-before-assignment", "Nhiệm vụ {task} không thể có hạn ngày {due:date}, trước ngày giao {assigned_on:date}."),
    ("tasks.before-assignment", "Nhiệm vụ {task} được giao ngày {assigned_on:date}; không ghi được việc gì cho nó vào ngày {on:date}, trước ngày giao."),
    ("tasks.closed", "Nhiệm vụ {task} đã {state:word}{since:on}; không thể {action:word}."),
    ("tasks.same-deadline", "Nhiệm vụ {task} đã có hạn ngày {due:date}."),
    ("tasks.percent", "Tiến độ của nhiệm vụ {task} phải từ 0 đến 100 phần trăm, không phải {percent}."),
    ("tasks.nothing-changes", "Nhiệm vụ {task} đang do {unit}{person:and} thực hiện; giao lại phải đổi đơn vị hoặc người."),
    // Evidence.
    ("evidence.unknown-unit", "Minh chứng {evidence}: không có đơn vị {unit} trong danh mục."),
    ("evidence.unknown-task", "Minh chứng {evidence}: nhiệm vụ {task} chưa từng được giao."),
    ("evidence.task-of-another-unit", "Minh chứng {evidence}: nhiệm vụ {task} thuộc đơn vị {owner}, không phải {unit} hay đơn vị trực thuộc."),
    ("evidence.unknown-criterion", "Minh chứng {evidence}: tiêu chí {criterion} không có trong bộ tiêu chí nào của {kind:kind} hay cấp trên."),
    ("evidence.missing", "Minh chứng {evidence} chưa có {field:word}."),
    ("evidence.too-long", "Minh chứng {evidence}: {field:word} dài quá mức cho phép."),
    ("evidence.bad-media-type", "Minh chứng {evidence}: \"{media_type}\" không phải kiểu tệp như application/pdf."),
    ("evidence.empty-file", "Minh chứng {evidence} là tệp rỗng."),
    ("evidence.too-large", "Minh chứng {evidence} nặng {size} byte, quá giới hạn {max} byte."),
    ("evidence.dated-in-future", "Minh chứng {evidence} đề ngày {date:date}, sau ngày đính kèm ({today:date})."),
    ("evidence.id-reused", "Mã minh chứng {evidence} đã dùng cho một tệp khác (SHA-256 {existing}); hãy chọn mã mới cho tệp này."),
    ("evidence.already-attached", "Minh chứng {evidence} đã được đính kèm với đúng nội dung này; không cần làm gì thêm."),
    ("evidence.unknown-evidence", "Minh chứng {evidence} chưa từng được đính kèm."),
    ("evidence.already-rejected", "Minh chứng {evidence} đã bị loại trước đó: {reason}."),
    ("evidence.already-erased", "Nội dung minh chứng {evidence} đã được xóa trước đó; không cần làm gì thêm."),
    ("evidence.content-erased", "Minh chứng {evidence}: nội dung này đã bị xóa theo căn cứ pháp lý và không được đính kèm lại."),
    // Scoring.
    ("scoring.framework-exists", "Bộ tiêu chí cho {kind:kind} năm {year} đã được ban hành; bộ đã ban hành không bị thay thế, vì điểm đã chấm dựa vào nó."),
    ("scoring.unknown-unit", "Không có đơn vị {unit} trong danh mục."),
    ("scoring.unknown-person", "Không có người {person} trong danh mục, nên không ghi được là người chấm."),
    ("scoring.no-framework", "Chưa ban hành bộ tiêu chí cho {kind:kind} năm {year}, nên chưa chấm điểm được đơn vị {unit}."),
    ("scoring.unknown-criterion", "Tiêu chí {criterion} không có trong bộ tiêu chí năm {year} của {kind:kind}."),
    ("scoring.above-maximum", "{points:points} điểm vượt điểm tối đa {max:points} của tiêu chí {criterion}."),
    ("scoring.unknown-evidence", "Minh chứng {evidence} chưa từng được đính kèm."),
    ("scoring.rejected-evidence", "Minh chứng {evidence} đã bị loại ({reason}), không dùng để chấm điểm được."),
    ("scoring.foreign-evidence", "Minh chứng {evidence} thuộc đơn vị {owner}, không phải {unit} hay đơn vị trực thuộc."),
    ("scoring.repeated-evidence", "Minh chứng {evidence} được nêu nhiều lần."),
    ("scoring.too-much-evidence", "Một điểm được dẫn tối đa 64 minh chứng; đã nêu {count}."),
    ("scoring.reason-too-long", "Lý do dài quá mức cho phép."),
    ("scoring.no-evidence-no-explanation", "Điểm tự đánh giá của đơn vị {unit} ở tiêu chí {criterion} không dẫn minh chứng nào, nên cần giải trình trong phần lý do."),
    ("scoring.survey-not-self-assessed", "Tiêu chí {criterion} do điều tra xã hội học đánh giá, không tự chấm."),
    ("scoring.appraisal-needs-reason", "Điểm thẩm định {appraised:points} của đơn vị {unit} ở tiêu chí {criterion} khác điểm tự đánh giá {self_assessed:maybe-points}, nên cần ghi lý do."),
    ("scoring.final-before-appraisal", "Đơn vị {unit} chưa có điểm thẩm định ở tiêu chí {criterion} năm {year}; điểm cuối cùng chỉ có sau thẩm định."),
    ("scoring.year-out-of-range", "Năm {year} nằm ngoài các năm một bộ tiêu chí được áp dụng."),
    ("scoring.no-source", "Bộ tiêu chí chưa ghi văn bản căn cứ (ví dụ QĐ 876/QĐ-BNV)."),
    ("scoring.no-criteria", "Bộ tiêu chí chưa có tiêu chí nào."),
    ("scoring.too-many-criteria", "Bộ tiêu chí có {count} tiêu chí, nhiều hơn mức cho phép."),
    ("scoring.duplicate-code", "Tiêu chí {criterion} xuất hiện nhiều lần; mỗi mã tiêu chí phải là duy nhất."),
    ("scoring.no-title", "Tiêu chí {criterion} chưa có tên."),
    ("scoring.too-long", "Tên tiêu chí {criterion} hoặc văn bản căn cứ dài quá mức cho phép."),
    ("scoring.too-much-text", "Tên các tiêu chí và văn bản căn cứ dài tổng cộng {bytes} byte, quá mức một lần ban hành."),
    ("scoring.zero-maximum", "Tiêu chí {criterion} có điểm tối đa bằng 0; tiêu chí nào cũng phải có điểm."),
    ("scoring.missing-components", "Bộ tiêu chí thiếu tiêu chí ở lĩnh vực: {missing:components}; cần đủ cả tám lĩnh vực."),
    ("scoring.wrong-total", "Điểm tối đa các tiêu chí cộng lại là {total:points}; bộ tiêu chí Chỉ số CCHC phải đúng 100,00 điểm."),
];

/// The services' fixed English words that refusals carry as values, in Vietnamese.
pub const WORDS_VI: &[(&str, &str)] = &[
    ("unit", "đơn vị"),
    ("person", "người"),
    ("name", "tên"),
    ("title", "tiêu đề"),
    ("reason", "lý do"),
    ("the title", "Tiêu đề"),
    ("the target", "Kết quả cần đạt"),
    ("the reason", "Lý do"),
    ("the text", "Nội dung"),
    ("the note", "Ghi chú"),
    ("the inspection document", "Số văn bản kiểm tra"),
    ("cite the inspection's document number", "hãy ghi số văn bản của đợt kiểm tra"),
    ("responsible unit", "đơn vị chủ trì"),
    ("responsible person", "người thực hiện"),
    ("target (expected result)", "kết quả cần đạt (sản phẩm)"),
    ("due date", "thời hạn"),
    ("say why the task is cancelled", "hãy nói vì sao hủy nhiệm vụ"),
    ("say why the deadline moves", "hãy nói vì sao điều chỉnh hạn"),
    ("say what shortcoming was found", "hãy ghi hạn chế đã phát hiện"),
    ("give the plan's title", "hãy ghi tên kế hoạch"),
    ("completed", "hoàn thành"),
    ("cancelled", "bị hủy"),
    ("be cancelled", "hủy"),
    ("be reassigned", "giao lại"),
    ("have its deadline changed", "điều chỉnh hạn"),
    ("be completed again", "báo hoàn thành lần nữa"),
    ("take more progress reports", "báo cáo tiến độ thêm"),
    ("assign-task", "giao nhiệm vụ"),
    ("cancel-task", "hủy nhiệm vụ"),
    ("reassign-task", "giao lại nhiệm vụ"),
    ("receive-task", "nhận nhiệm vụ"),
    ("issue-plan", "ban hành kế hoạch"),
    ("change-deadline", "điều chỉnh hạn nhiệm vụ"),
    ("document number", "số, ký hiệu văn bản"),
    ("reason for the rejection", "lý do loại"),
    ("legal basis", "căn cứ pháp lý"),
];

/// What each kind of event records, as in "không được ghi việc …".
const EVENTS_VI: &[(&str, &str)] = &[
    ("unit-added", "thêm đơn vị"),
    ("person-registered", "đăng ký người"),
    ("person-retitled", "đổi chức danh"),
    ("leader-appointed", "bổ nhiệm lãnh đạo"),
    ("tenure-ended", "kết thúc nhiệm kỳ"),
    ("plan-issued", "ban hành kế hoạch"),
    ("task-assigned", "giao nhiệm vụ"),
    ("task-reassigned", "giao lại nhiệm vụ"),
    ("deadline-changed", "điều chỉnh hạn"),
    ("progress-reported", "báo cáo tiến độ"),
    ("task-completed", "hoàn thành nhiệm vụ"),
    ("task-cancelled", "hủy nhiệm vụ"),
    ("finding-recorded", "ghi hạn chế qua kiểm tra"),
    ("evidence-attached", "đính kèm minh chứng"),
    ("evidence-rejected", "loại minh chứng"),
    ("evidence-erased", "xóa nội dung minh chứng"),
    ("framework-published", "ban hành bộ tiêu chí"),
    ("score-changed", "chấm điểm"),
    ("period-rolled-up", "chốt kỳ báo cáo"),
    ("genesis", "khởi tạo hệ thống"),
    ("key-registered", "đăng ký khóa"),
    ("key-revoked", "thu hồi khóa"),
    ("access-granted", "cấp quyền"),
    ("access-withdrawn", "thu hồi quyền"),
    ("enrolment-opened", "cấp mã đăng ký khóa truy cập"),
    ("passkey-enrolled", "đăng ký khóa truy cập (passkey)"),
    ("unit-ended", "sắp xếp đơn vị (sáp nhập, chia tách, giải thể)"),
    ("unit-renamed", "đổi tên đơn vị"),
    ("unit-moved", "chuyển đơn vị trực thuộc"),
    ("unit-founded", "thành lập đơn vị"),
];

/// A refusal in Vietnamese; `None` when its code is not in [`REFUSALS_VI`] or a value it
/// names is missing or unknown (the caller then says [`failure_vi`]).
pub fn refusal_vi(reason: &Reason) -> Option<String> {
    let template = REFUSALS_VI.iter().find(|(code, _)| *code == reason.code)?.1;
    fill(template, &reason.params)
}

/// What an event of this type records, in Vietnamese ("giao nhiệm vụ").
pub fn event_vi(type_name: &str) -> Option<&'static str> {
    EVENTS_VI.iter().find(|(t, _)| *t == type_name).map(|(_, vi)| *vi)
}

/// A failure of `kind` in Vietnamese, for one whose reason cannot be worded.
pub fn failure_vi(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Invalid => "Yêu cầu không đọc được; hãy kiểm tra lại lệnh.",
        FailureKind::Refused => "Yêu cầu bị từ chối theo quy định.",
        FailureKind::Conflict => {
            "Một yêu cầu khác vừa thay đổi cùng nội dung; hãy xem lại rồi gửi lại."
        }
        FailureKind::NotFound => "Không tìm thấy đơn vị hoặc người được hỏi.",
        FailureKind::Unavailable => {
            "Hệ thống tạm thời không trả lời; hãy gửi lại đúng lệnh đó (cùng mã lệnh)."
        }
        FailureKind::Denied => "Không có quyền thực hiện: chữ ký, khóa hoặc vai trò không phù hợp.",
    }
}

/// The template with each `{name}` or `{name:form}` replaced.
fn fill(template: &str, params: &serde_json::Map<String, Value>) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}')?;
        let (name, form) = match rest[open + 1..close].split_once(':') {
            Some((name, form)) => (name, Some(form)),
            None => (&rest[open + 1..close], None),
        };
        out.push_str(&value(params.get(name), form)?);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// One value as people read it.
fn value(value: Option<&Value>, form: Option<&str>) -> Option<String> {
    let text = match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    match (form, text) {
        (Some("at"), None) => Some(String::new()),
        (Some("at"), Some(unit)) => Some(format!(" tại {unit}")),
        (Some("on"), None) => Some(String::new()),
        (Some("on"), Some(day)) => Some(format!(" ngày {}", date(&day))),
        (Some("until"), None) => Some("không thời hạn".to_owned()),
        (Some("and"), None) => Some(String::new()),
        (Some("and"), Some(person)) => Some(format!(" và {person}")),
        (Some("maybe-points"), None) => Some("(chưa có)".to_owned()),
        (Some("maybe-points"), Some(points)) => Some(points.replace('.', ",")),
        (Some("until"), Some(day)) => Some(format!("đến ngày {}", date(&day))),
        (_, None) => None,
        (None, Some(text)) => Some(text),
        (Some("date"), Some(day)) => Some(date(&day)),
        (Some("points"), Some(points)) => Some(points.replace('.', ",")),
        (Some("kind"), Some(kind)) => {
            kind.parse::<UnitKind>().ok().map(|k| k.label_vi().to_owned())
        }
        (Some("access"), Some(a)) => a.parse::<Access>().ok().map(|a| a.label_vi().to_owned()),
        (Some("event"), Some(event)) => lookup(EVENTS_VI, &event),
        (Some("word"), Some(word)) => lookup(WORDS_VI, &word),
        (Some("components"), Some(list)) => list
            .split(", ")
            .map(|c| c.parse::<Component>().ok().map(|c| c.label_vi()))
            .collect::<Option<Vec<_>>>()
            .map(|names| names.join("; ")),
        (Some(_), Some(_)) => None,
    }
}

fn lookup(table: &[(&str, &str)], key: &str) -> Option<String> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned())
}

/// A `yyyy-mm-dd` day as dd/mm/yyyy; anything else as it came.
fn date(day: &str) -> String {
    match day.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => day.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reason(code: &str, params: Value) -> Reason {
        let Value::Object(params) = params else { panic!("an object") };
        Reason { code: code.into(), params }
    }

    #[test]
    fn values_are_written_as_people_read_them() {
        let above = reason(
            "scoring.above-maximum",
            json!({"criterion": "1.1", "points": "99.00", "max": "1.00"}),
        );
        assert_eq!(
            refusal_vi(&above).as_deref(),
            Some("99,00 điểm vượt điểm tối đa 1,00 của tiêu chí 1.1.")
        );
        let closed = reason(
            "tasks.closed",
            json!({"task": "t1", "state": "cancelled", "since": "2016-03-01", "action": "be reassigned"}),
        );
        assert_eq!(
            refusal_vi(&closed).as_deref(),
            Some("Nhiệm vụ t1 đã bị hủy ngày 01/03/2016; không thể giao lại.")
        );
        let granted = reason(
            "directory.not-granted",
            json!({"person": "an", "access": "appraiser", "at": null}),
        );
        assert_eq!(
            refusal_vi(&granted).as_deref(),
            Some("an không có quyền thẩm định để thu hồi.")
        );
    }

    #[test]
    fn an_unknown_code_or_word_is_not_worded_half_in_english() {
        assert_eq!(refusal_vi(&reason("tasks.from-the-future", json!({}))), None);
        let odd = reason("evidence.missing", json!({"evidence": "e1", "field": "colour"}));
        assert_eq!(refusal_vi(&odd), None);
        let absent = reason("tasks.unknown-task", json!({}));
        assert_eq!(refusal_vi(&absent), None);
    }

    #[test]
    fn no_sentence_or_word_of_the_table_is_english() {
        let mut texts: Vec<&str> = REFUSALS_VI.iter().map(|(_, t)| *t).collect();
        texts.extend(WORDS_VI.iter().chain(EVENTS_VI).map(|(_, vi)| *vi));
        texts.extend(FailureKind::ALL.iter().map(|k| failure_vi(*k)));
        for text in texts {
            // What people read: the template less its placeholders' names.
            let read: String = text
                .split('{')
                .enumerate()
                .map(
                    |(i, piece)| {
                        if i == 0 {
                            piece
                        } else {
                            piece.split_once('}').map_or("", |p| p.1)
                        }
                    },
                )
                .collect();
            // A CLI option (`--unit`) is code, as on a page.
            let read: String = read
                .split(' ')
                .filter(|w| !w.trim_start_matches('(').starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ");
            let english = english_in(&read);
            assert!(english.is_empty(), "{text:?} has English: {english:?}");
        }
    }

    #[test]
    fn the_english_word_check_finds_a_planted_word() {
        assert_eq!(english_in("Năm 2023-year, kỳ báo cáo"), ["year"]);
        assert_eq!(english_in("Báo cáo Năm 2023 (PASS)"), ["PASS"]);
        assert!(english_in("Đơn vị chủ trì, người thực hiện, hạn 31/12/2016").is_empty());
    }

    #[test]
    fn every_template_names_only_forms_there_are() {
        for (code, template) in REFUSALS_VI {
            for piece in template.split('{').skip(1) {
                let inside = piece.split('}').next().expect("closed");
                if let Some((_, form)) = inside.split_once(':') {
                    let known = [
                        "date",
                        "points",
                        "kind",
                        "access",
                        "event",
                        "word",
                        "at",
                        "on",
                        "until",
                        "and",
                        "maybe-points",
                        "components",
                    ];
                    assert!(known.contains(&form), "{code}: unknown form {form}");
                }
            }
        }
        let codes: std::collections::BTreeSet<_> = REFUSALS_VI.iter().map(|(c, _)| c).collect();
        assert_eq!(codes.len(), REFUSALS_VI.len(), "a code is in the table once");
    }
}
