//! The workspace in Chromium (#23): three people, each in their own browser with their own
//! passkey (a virtual authenticator), work on the demo province as they would on a Monday: the
//! head of Sóc Trăng's education department gives a task to one of her staff, who reports on
//! it, attaches a PDF and completes it; she self-assesses a criterion with that document; the
//! province's appraiser appraises it and records an inspection finding. Every command is
//! signed on the person's device, and `audit verify` names the three as its signers.

use super::*;

/// Submits the workspace form `form` and returns the answer it shows in place: a new one, as
/// an answer to an earlier submission is hidden first.
async fn submit(c: &Client, form: &str) -> String {
    let hide = "document.querySelector('#' + arguments[0] + ' .outcome').hidden = true;";
    c.execute(hide, vec![form.into()]).await.expect("hide the last answer");
    let button = c.find(Locator::Css(&format!("#{form} button"))).await.expect("the button");
    button.click().await.expect("click");
    let shown = Locator::Css(&format!("#{form} .outcome:not([hidden])"));
    let outcome = c.wait().at_most(WAIT).for_element(shown).await.expect("an outcome");
    outcome.text().await.expect("text")
}

/// Opens `url` again and again until `css`'s text holds `needle` (the views apply a command
/// a moment after it is recorded), or [`WAIT`] has passed; that text, as last read.
async fn reload_until(c: &Client, url: &str, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        c.goto(url).await.expect("open");
        let read = text(c, css).await;
        if read.contains(needle) || Instant::now() > deadline {
            return read;
        }
    }
}

/// The answer to the head's command links its receipt (c2sp.org/tlog-proof): her browser,
/// signed in, gets it once the published log covers the command; anyone else is refused.
async fn her_receipt_is_hers_alone(c: &Client, base: &str) {
    let link = c.find(Locator::Css("#assign .outcome a.receipt")).await.expect("the link");
    assert_eq!(link.text().await.expect("text"), "Biên nhận của lệnh");
    let href = link.attr("href").await.expect("href").expect("a link");
    let fetch = "const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.text().then(t => done(r.status + '\\n' + t)));";
    let deadline = Instant::now() + WAIT;
    let proof = loop {
        let got = c.execute_async(fetch, vec![href.clone().into()]).await.expect("fetched");
        let got = got.as_str().unwrap_or_default().to_owned();
        // 404 until the publisher's next checkpoint covers it (every 2 s).
        if got.starts_with("200") || Instant::now() > deadline {
            break got;
        }
    };
    assert!(proof.starts_with("200\nc2sp.org/tlog-proof@v1\n"), "{proof}");
    let (status, refused) = get(base, &href);
    assert_eq!(status, 403, "{refused}");
    assert!(refused.contains("lệnh do chính bạn ký sau khi đăng nhập"), "{refused}");
}

/// A WebDriver command of the WebAuthn extension (W3C WebAuthn §11), which fantoccini sends
/// as given: Chromium then answers the page's passkey requests itself, with a person present
/// and verified.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"protocol": "ctap2", "transport": "internal",
            "hasResidentKey": true, "hasUserVerification": true, "isUserConsenting": true,
            "isUserVerified": true});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A bare HTTP POST of JSON with the given `Origin`, as another site's script or a hostile
/// client sends it: the status and the response.
fn post_from(base: &str, path: &str, origin: &str, extra: &str, body: &str) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read");
    let response = String::from_utf8_lossy(&bytes).into_owned();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, response)
}

/// Types `text` into the field `id`.
async fn fill(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.send_keys(text).await.expect("type");
}

/// `reformctl` against the stack, as `quan-tri` when `admin` holds its key: exit code and
/// everything it said.
struct Cli {
    nats_port: u16,
    data: PathBuf,
}

impl Cli {
    fn run(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_reformctl"))
            .args(["--nats", &format!("nats://127.0.0.1:{}", self.nats_port), "--nats-nkey"])
            .arg(self.data.join("broker/client.nk"))
            .args(args)
            .output()
            .expect("run reformctl");
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code(), said + &String::from_utf8_lossy(&out.stderr))
    }

    fn admin(&self, args: &[&str]) -> String {
        let key = self.data.join("keys/quan-tri.nk");
        let key = key.to_str().expect("utf-8");
        let mut all = vec!["--json", "--actor", "quan-tri", "--key", key];
        all.extend(args);
        let (code, said) = self.run(&all);
        assert_eq!(code, Some(0), "{said}");
        said
    }

    /// An enrolment code for `person`, as an administrator hands it over.
    fn enrolment_code(&self, person: &str) -> String {
        let said = self.admin(&["key", "enrol", "--person", person]);
        let opened: serde_json::Value = serde_json::from_str(&said).expect("JSON");
        opened["code"].as_str().expect("a code").to_owned()
    }
}

/// A person's own browser with a passkey authenticator of its own.
async fn own_browser(driver: &str, profile: &Path) -> Client {
    let c = browser(driver, profile).await;
    c.issue_cmd(AddVirtualAuthenticator).await.expect("a virtual authenticator");
    c
}

/// `person` enrols a passkey with `code` (typed as a person may: lower case, spaces) and signs
/// in with it: their work page, which names them.
async fn enrol_and_sign_in(c: &Client, base: &str, person: &str, name: &str, code: &str) {
    c.goto(&format!("{base}/enrol?person={person}")).await.expect("open");
    assert!(text(c, "main").await.contains(name));
    fill(c, "code", &code.to_lowercase().replace('-', " ")).await;
    shot(c, &format!("19-enrol-{person}")).await;
    c.find(Locator::Css("#enrol button")).await.expect("button").click().await.expect("click");
    let done = c.wait().at_most(WAIT).for_element(Locator::Css("#outcome:not([hidden])")).await;
    let said = done.expect("an outcome").text().await.expect("text");
    assert!(said.starts_with("Đã ghi: đăng ký khóa truy cập"), "{said}");
    follow(c, "Đăng nhập").await;
    c.find(Locator::Id("sign-in")).await.expect("button").click().await.expect("click");
    c.wait().at_most(WAIT).for_element(Locator::Id("who")).await.expect("their page");
    assert!(text(c, "#who").await.contains(name), "signed in as {name}");
}

/// The page has no English a reader would see.
async fn all_vietnamese(c: &Client, what: &str) {
    let read = vietnamese_text(c).await;
    let english = reform_shared::wording::english_in(&read);
    assert!(english.is_empty(), "English on {what}: {english:?}");
}

/// The page at a phone's width fits it; a screenshot of it as `name`.
async fn on_a_phone(c: &Client, name: &str) {
    c.set_window_size(390, 844).await.expect("a phone's width");
    c.refresh().await.expect("reload");
    assert!(fits(c).await, "{name} fits a phone");
    shot(c, name).await;
    c.set_window_size(1280, 1600).await.expect("back");
}

const HEAD: &str = "nguyen-thi-kim-loan";
const STAFF: &str = "duong-thanh-binh";
const APPRAISER: &str = "pham-thi-kim-lien";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_her_staff_and_an_appraiser_work_in_their_browsers_with_passkeys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nats_port = free_port();
    let data = dir.path().join("data");
    let (_stack, base) = start_stack(&data, nats_port);
    assert!(base.starts_with("http://localhost:"), "passkeys need a name, not an IP: {base}");
    let cli = Cli { nats_port, data: data.clone() };
    let codes = [HEAD, STAFF, APPRAISER].map(|p| cli.enrolment_code(p));
    let framework =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../scoring/frameworks/par-index-department.json");
    cli.admin(&["framework", "publish", "--file", framework, "--year", "2026"]);

    let (_driver, driver_url) = start_chromedriver();
    let head = own_browser(&driver_url, &dir.path().join("head")).await;
    let title = head_assigns_a_task(&head, &base, &codes[0]).await;
    let staff = own_browser(&driver_url, &dir.path().join("staff")).await;
    staff_reports_attaches_and_completes(&staff, &base, &codes[1], &title, dir.path()).await;
    staff.close().await.expect("close");
    head_reviews_and_self_assesses(&head, &base).await;
    attacks_are_refused(&head, &base).await;
    head.close().await.expect("close");
    let appraiser = own_browser(&driver_url, &dir.path().join("appraiser")).await;
    appraiser_appraises_and_records_a_finding(&appraiser, &base, &codes[2]).await;
    appraiser.close().await.expect("close");

    let (code, said) = cli.run(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = cli.run(&["--json", "audit", "verify"]);
    assert_eq!(code, Some(0), "{said}");
    let verdict: serde_json::Value = serde_json::from_str(&said).expect("JSON");
    assert_eq!(verdict["passed"], true, "{verdict}");
    // The head: her enrolment, the task, the plan, the deadline, the score. Her staff: his
    // enrolment, the progress, the document, the completion. The appraiser: her enrolment,
    // the appraised and final scores, the finding. Refused commands appended nothing.
    assert_eq!(verdict["by_passkey"], 13, "{verdict}");
    assert_eq!(
        verdict["passkey_signers"],
        serde_json::json!([STAFF, HEAD, APPRAISER]),
        "{verdict}"
    );
}

/// The head enrols and signs in; she gives her staff member a task with the "5 rõ", issues
/// next year's plan and moves the task's deadline. The task's title.
async fn head_assigns_a_task(c: &Client, base: &str, code: &str) -> String {
    enrol_and_sign_in(c, base, HEAD, "Nguyễn Thị Kim Loan", code).await;
    assert!(text(c, "main").await.contains("Sở Giáo dục và Đào tạo"));
    all_vietnamese(c, "her page").await;
    shot(c, "20-work").await;

    let title = "Rà soát quy trình nội bộ giải quyết thủ tục hành chính năm 2027";
    let who = c.find(Locator::Id("assign-person")).await.expect("person");
    who.select_by_value(STAFF).await.expect("her staff member");
    fill(c, "assign-title", title).await;
    fill(c, "assign-target", "Báo cáo rà soát trình Giám đốc Sở").await;
    fill(c, "assign-due", "31/03/2027").await;
    let said = submit(c, "assign").await;
    assert!(said.starts_with("Đã ghi: giao nhiệm vụ"), "{said}");
    shot(c, "21-assigned").await;
    her_receipt_is_hers_alone(c, base).await;
    fill(c, "plan-number", "96/KH-SGDĐT").await;
    fill(c, "plan-title", "Kế hoạch cải cách hành chính năm 2027").await;
    let said = submit(c, "plan").await;
    assert!(said.starts_with("Đã ghi: ban hành kế hoạch"), "{said}");
    on_a_phone(c, "22-work-phone").await;

    // On her unit's page once the views have it, and among her units' open tasks.
    let register = format!("{base}/units/can-tho-st-sgddt?year=2026");
    let page = reload_until(c, &register, "main", title).await;
    assert!(page.contains(title), "the task on the unit's page: {page}");
    let work = format!("{base}/work");
    let given = reload_until(c, &work, "section[aria-labelledby=given-heading]", title).await;
    assert!(given.contains(title), "among her units' open tasks: {given}");
    // A day as she types it, day first; one that is no day is said before anything is signed.
    fill(c, "deadline-due", "31/02/2027").await;
    fill(c, "deadline-reason", "Chờ ý kiến của Sở Nội vụ").await;
    let said = submit(c, "deadline").await;
    assert!(
        said.starts_with("“31/02/2027” không phải một ngày: hãy viết ngày/tháng/năm"),
        "{said}"
    );
    let due = c.find(Locator::Id("deadline-due")).await.expect("the due date");
    due.clear().await.expect("cleared");
    fill(c, "deadline-due", "30/04/2027").await;
    let said = submit(c, "deadline").await;
    assert!(said.starts_with("Đã ghi: điều chỉnh hạn"), "{said}");
    title.to_owned()
}

/// Her staff member enrols and signs in in his own browser; the task is his; he reports
/// progress, attaches a PDF chosen in the browser and completes it.
async fn staff_reports_attaches_and_completes(
    c: &Client,
    base: &str,
    code: &str,
    title: &str,
    dir: &Path,
) {
    enrol_and_sign_in(c, base, STAFF, "Dương Thanh Bình", code).await;
    let work = format!("{base}/work");
    let mine = reload_until(c, &work, "section[aria-labelledby=mine-heading]", title).await;
    assert!(mine.contains(title), "his open task: {mine}");
    assert!(text(c, "main").await.contains("Hôm nay bạn không lãnh đạo đơn vị nào"));
    all_vietnamese(c, "his page").await;
    fill(c, "progress-percent", "50").await;
    fill(c, "progress-note", "Đã rà soát 12 trên 24 quy trình").await;
    let said = submit(c, "progress").await;
    assert!(said.starts_with("Đã ghi: báo cáo tiến độ"), "{said}");
    // The document: its digest computed in the browser, its bytes staged, the attach signed.
    let pdf = dir.join("bao-cao-ra-soat.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% Bao cao ra soat quy trinh noi bo\n%%EOF\n").expect("a PDF");
    fill(c, "attach-file", pdf.to_str().expect("utf-8")).await;
    fill(c, "attach-title", "Báo cáo rà soát quy trình nội bộ").await;
    fill(c, "attach-number", "15/BC-SGDĐT").await;
    fill(c, "attach-date", "05/12/2026").await;
    let said = submit(c, "attach").await;
    assert!(said.starts_with("Đã ghi: đính kèm minh chứng"), "{said}");
    fill(c, "complete-note", "Báo cáo rà soát số 15/BC-SGDĐT").await;
    let said = submit(c, "complete").await;
    assert!(said.starts_with("Đã ghi: hoàn thành nhiệm vụ"), "{said}");
    shot(c, "23-staff-reported").await;
    on_a_phone(c, "24-staff-work-phone").await;
}

/// Back in her browser, the head sees the completed task waiting for her review, and
/// self-assesses a criterion for 2026: without evidence or a reason the scoring service
/// refuses in place; with the staff member's document it is recorded.
async fn head_reviews_and_self_assesses(c: &Client, base: &str) {
    let work = format!("{base}/work");
    let review = reload_until(c, &work, "#glance-review", "1").await;
    assert_eq!(review, "1", "the completed task to review");
    assert!(text(c, "#review").await.contains("Rà soát quy trình nội bộ"));
    follow(c, "Chấm điểm Chỉ số CCHC").await;
    follow(c, "Sở Giáo dục và Đào tạo").await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Id("score-direction-and-management"))
        .await
        .expect("the forms");
    let table = text(c, "#direction-and-management-table").await;
    assert!(table.contains("1.1"), "{table}");
    all_vietnamese(c, "the scoring page").await;
    let form = "score-direction-and-management";
    c.find(Locator::Id(&format!("{form}-criterion")))
        .await
        .expect("criterion")
        .select_by_value("1.1")
        .await
        .expect("1.1");
    fill(c, &format!("{form}-points"), "2,5").await;
    let said = submit(c, form).await;
    assert!(said.contains("lý do"), "no evidence, no reason: {said}");
    let evidence = Locator::Css("#score-direction-and-management input[type=checkbox]");
    let boxes = c.find_all(evidence).await.expect("evidence boxes");
    assert_eq!(boxes.len(), 1, "the one document of 2026");
    boxes[0].click().await.expect("tick");
    let said = submit(c, form).await;
    assert!(said.starts_with("Đã ghi: chấm điểm"), "{said}");
    shot(c, "25-self-assessed").await;
    on_a_phone(c, "26-scores-phone").await;
}

/// Another site's script or form, an upload without a session or lying about its digest:
/// each refused, nothing appended.
async fn attacks_are_refused(c: &Client, base: &str) {
    let body = r#"{"service":"tasks","request":"e30","key":"x","assertion":{"authenticator_data":"","client_data_json":"","signature":""}}"#;
    let (status, answer) = post_from(base, "/relay", "http://evil.example", "", body);
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("không gửi từ trang của hệ thống"), "{answer}");
    let (status, answer) = post_from(base, "/sign-in/challenge", "https://evil.example", "", "{}");
    assert_eq!(status, 403, "{answer}");
    let own = base.to_owned();
    let lie = format!("x-par-sha256: {}\r\n", "0".repeat(64));
    let (status, answer) = post_from(base, "/upload", &own, &lie, "not the file named");
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("Hãy đăng nhập"), "{answer}");
    let session = c.get_named_cookie("par_session").await.expect("her session cookie");
    let lie = format!("{lie}Cookie: par_session={}\r\n", session.value());
    let (status, answer) = post_from(base, "/upload", &own, &lie, "not the file named");
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("mã băm SHA-256 không khớp"), "{answer}");
    // In English on request; and the sign-in and enrolment pages on a phone.
    c.goto(&format!("{base}/work?lang=en")).await.expect("open");
    assert_eq!(text(c, "h1").await, "My work");
    assert!(text(c, "#assign").await.contains("Person responsible"));
    for (path, name) in
        [("/sign-in", "27-sign-in-phone"), ("/enrol?person=nguyen-thi-kim-loan", "28-enrol-phone")]
    {
        c.goto(&format!("{base}{path}")).await.expect("open");
        on_a_phone(c, name).await;
    }
}

/// The province's appraiser, in her own browser, finds the department among the units she
/// appraises, sees its self-assessment, appraises it lower (refused without a reason, recorded
/// with one), sets the final score, and records an inspection finding that opens a
/// remediation task for the staff member.
async fn appraiser_appraises_and_records_a_finding(c: &Client, base: &str, code: &str) {
    enrol_and_sign_in(c, base, APPRAISER, "Phạm Thị Kim Liên", code).await;
    follow(c, "Chấm điểm Chỉ số CCHC").await;
    assert!(text(c, "main").await.contains("Thẩm định"));
    c.goto(&format!("{base}/work/scores/can-tho-st-sgddt?year=2026")).await.expect("open");
    let form = "score-direction-and-management";
    let table = reload_until(
        c,
        &format!("{base}/work/scores/can-tho-st-sgddt?year=2026"),
        "#direction-and-management-table",
        "2,50",
    )
    .await;
    assert!(table.contains("2,50"), "the self-assessment beside: {table}");
    assert!(table.contains("15/BC-SGDĐT"), "its evidence beside: {table}");
    let pick = |id: String, value: &'static str| async move {
        let select = c.find(Locator::Id(&id)).await.expect("a choice");
        select.select_by_value(value).await.expect("choose");
    };
    pick(format!("{form}-criterion"), "1.1").await;
    pick(format!("{form}-stage"), "appraised").await;
    fill(c, &format!("{form}-points"), "2").await;
    let said = submit(c, form).await;
    assert!(said.contains("lý do"), "a lower score needs a reason: {said}");
    fill(c, &format!("{form}-reason"), "Báo cáo chưa có số liệu quý IV").await;
    let said = submit(c, form).await;
    assert!(said.starts_with("Đã ghi: chấm điểm"), "{said}");
    pick(format!("{form}-criterion"), "1.1").await;
    pick(format!("{form}-stage"), "final").await;
    fill(c, &format!("{form}-points"), "2").await;
    let said = submit(c, form).await;
    assert!(said.starts_with("Đã ghi: chấm điểm"), "{said}");
    shot(c, "29-appraised").await;

    c.goto(&format!("{base}/work")).await.expect("open");
    c.find(Locator::Id("finding-unit"))
        .await
        .expect("unit")
        .select_by_value("can-tho-st-sgddt")
        .await
        .expect("the department");
    fill(c, "finding-document", "45/KL-SNV").await;
    fill(c, "finding-text", "Chưa niêm yết công khai quy trình nội bộ tại bộ phận một cửa").await;
    c.find(Locator::Id("finding-person"))
        .await
        .expect("person")
        .select_by_value(STAFF)
        .await
        .expect("the staff member");
    fill(c, "finding-target", "Niêm yết đủ 24 quy trình").await;
    fill(c, "finding-due", "31/01/2027").await;
    let said = submit(c, "finding").await;
    assert!(said.starts_with("Đã ghi: ghi hạn chế"), "{said}");
    all_vietnamese(c, "the appraiser's page").await;
    shot(c, "30-finding").await;
    on_a_phone(c, "31-finding-phone").await;
}
