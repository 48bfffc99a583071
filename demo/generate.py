#!/usr/bin/env python3
"""Generates demo/commands.jsonl, the demo province built from five Vietnamese news articles
(listed in demo/README.md), as the requests the command services take, in the order they take
them: one JSON object per line, {"service", "label", "request", "content" for evidence}.

The facts are built first, as plain records (units, people, tenures, scores, tasks with their
steps…), and turned into commands last (`commands`): who sends each one, in which order, with
the command id its label names. The loader (reformctl's demo module) only reads and sends.

Deterministic and byte-stable: no clock, no unseeded randomness. Where a per-criterion split of
a published or invented total is needed, the split comes from SHA-256 of a fixed key, and every
figure is an integer number of hundredths of a point.

Run from the repository root:  python3 demo/generate.py           (writes demo/commands.jsonl)
Then check it:                 python3 demo/check.py
Is the file up to date?        python3 demo/generate.py --check
"""

import hashlib
import json
import os
import sys

COMMANDS_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "commands.jsonl")


def h(*parts):
    """A stable pseudo-random integer from a key."""
    text = ":".join(str(p) for p in parts).encode("utf-8")
    return int(hashlib.sha256(text).hexdigest(), 16)


def pts(hundredths):
    return "%d.%02d" % (hundredths // 100, hundredths % 100)


def hund(text):
    whole, frac = text.split(".")
    return int(whole) * 100 + int(frac)


# --------------------------------------------------------------------------------------------
# Frameworks (compact, invented maxima; 8 components; total 100.00)
# --------------------------------------------------------------------------------------------

DM, IR, AP, OR, CS, PF, EG, IP = (
    "direction-and-management",
    "institutional-reform",
    "administrative-procedures",
    "organisation",
    "civil-service",
    "public-finance",
    "e-government",
    "impact-on-people",
)

DEPT_CRITERIA = [
    ("1.1", DM, "Kế hoạch CCHC năm; báo cáo CCHC định kỳ (quý I, 6 tháng, quý III, năm) đầy đủ, đúng hạn", 700, False),
    ("1.2", DM, "Tuyên truyền, kiểm tra công tác CCHC; sáng kiến trong CCHC", 600, False),
    ("2.1", IR, "Tham mưu xây dựng, rà soát, hệ thống hóa văn bản quy phạm pháp luật thuộc ngành", 800, False),
    ("3.1", AP, "Kiểm soát, cập nhật, công khai thủ tục hành chính; cơ chế một cửa, một cửa liên thông", 1400, False),
    ("4.1", OR, "Tổ chức bộ máy, vị trí việc làm, phân cấp quản lý", 900, False),
    ("5.1", CS, "Chất lượng đội ngũ công chức, viên chức; kỷ luật, kỷ cương hành chính", 1200, False),
    ("6.1", PF, "Cơ chế tự chủ tài chính; quy chế chi tiêu nội bộ; tự chủ của đơn vị sự nghiệp", 800, False),
    ("7.1", EG, "Ứng dụng công nghệ thông tin; dịch vụ công trực tuyến; hệ thống quản lý chất lượng ISO", 1400, False),
    ("8.1", IP, "Sự hài lòng của người dân, tổ chức đối với dịch vụ hành chính (điều tra xã hội học)", 1400, True),
    ("8.2", IP, "Đánh giá của đại biểu, lãnh đạo về chỉ đạo, điều hành CCHC của cơ quan (điều tra xã hội học)", 800, True),
]

DISTRICT_CRITERIA = [
    ("1.1", DM, "Kế hoạch CCHC năm; báo cáo CCHC định kỳ (quý I, 6 tháng, quý III, năm) đầy đủ, đúng hạn", 700, False),
    ("1.2", DM, "Tuyên truyền, kiểm tra công tác CCHC; sáng kiến trong CCHC", 600, False),
    ("2.1", IR, "Ban hành, kiểm tra, rà soát văn bản quy phạm pháp luật của HĐND, UBND cấp huyện", 600, False),
    ("3.1", AP, "Công khai thủ tục hành chính; cơ chế một cửa, một cửa liên thông ở cấp huyện và cấp xã", 1500, False),
    ("4.1", OR, "Tổ chức bộ máy cơ quan chuyên môn; phân cấp quản lý", 800, False),
    ("5.1", CS, "Chất lượng đội ngũ cán bộ, công chức cấp huyện, cấp xã; kỷ luật, kỷ cương hành chính", 1200, False),
    ("6.1", PF, "Cơ chế tự chủ tài chính của cơ quan hành chính và đơn vị sự nghiệp công lập", 800, False),
    ("7.1", EG, "Ứng dụng công nghệ thông tin; dịch vụ công trực tuyến; hệ thống quản lý chất lượng ISO", 1200, False),
    ("8.1", IP, "Sự hài lòng của người dân, tổ chức (điều tra xã hội học)", 1600, True),
    ("8.2", IP, "Tác động của CCHC đến phát triển kinh tế - xã hội của địa phương (điều tra xã hội học)", 1000, True),
]

PROVINCE_CRITERIA = [
    ("1.1", DM, "Kế hoạch CCHC, báo cáo và kiểm tra công tác CCHC", 700, False),
    ("1.2", DM, "Tuyên truyền CCHC; sáng kiến trong CCHC", 400, False),
    ("2.1", IR, "Xây dựng, tổ chức thực hiện, kiểm tra và rà soát văn bản quy phạm pháp luật", 900, False),
    ("3.1", AP, "Cải cách thủ tục hành chính; cơ chế một cửa, một cửa liên thông", 1200, False),
    ("4.1", OR, "Cải cách tổ chức bộ máy hành chính; phân cấp quản lý", 900, False),
    ("5.1", CS, "Xây dựng và nâng cao chất lượng đội ngũ cán bộ, công chức, viên chức", 1300, False),
    ("6.1", PF, "Đổi mới cơ chế quản lý tài chính đối với cơ quan hành chính và đơn vị sự nghiệp công lập", 900, False),
    ("7.1", EG, "Hiện đại hóa hành chính: ứng dụng CNTT, dịch vụ công trực tuyến, ISO", 1000, False),
    ("8.1", IP, "Mức độ hài lòng của người dân, tổ chức (điều tra xã hội học)", 1700, True),
    ("8.2", IP, "Tác động của CCHC đến phát triển kinh tế - xã hội (điều tra xã hội học)", 1000, True),
]

HD_DEPT_CRITERIA = [
    ("1.1", DM, "Kế hoạch CCHC năm giao rõ nhiệm vụ, chỉ tiêu cho từng phòng, cá nhân; báo cáo định kỳ đúng hạn", 700, False),
    ("1.2", DM, "Kiểm tra CCHC, kiểm soát thủ tục hành chính; tuyên truyền; sáng kiến", 600, False),
    ("2.1", IR, "Xây dựng, rà soát văn bản quy phạm pháp luật; theo dõi thi hành pháp luật", 800, False),
    ("3.1", AP, "Công khai, giải quyết thủ tục hành chính tại Trung tâm Phục vụ hành chính công; hồ sơ đúng hạn", 1400, False),
    ("4.1", OR, "Cải cách tổ chức bộ máy; vị trí việc làm; phân cấp", 900, False),
    ("5.1", CS, "Cải cách chế độ công vụ; kỷ luật, kỷ cương; trách nhiệm công chức tiếp nhận hồ sơ", 1200, False),
    ("6.1", PF, "Cải cách tài chính công; tự chủ của đơn vị sự nghiệp công lập", 800, False),
    ("7.1", EG, "Chính quyền điện tử, chuyển đổi số: văn bản điện tử, dịch vụ công trực tuyến toàn trình", 1400, False),
    ("8.1", IP, "Sự hài lòng của người dân, tổ chức (điều tra xã hội học, SIPAS)", 1400, True),
    ("8.2", IP, "Đánh giá của đại biểu, lãnh đạo về chỉ đạo, điều hành CCHC của sở (điều tra xã hội học)", 800, True),
]

SRC_ST = (
    "Khung rút gọn của dự án (minh họa) theo 8 lĩnh vực của Chỉ số CCHC; tiêu chí và điểm tối đa "
    "là giả định, không phải bộ tiêu chí chính thức mà UBND tỉnh Sóc Trăng dùng cho Quyết định "
    "số 2491 ngày 17/10/2016"
)
SRC_PROVINCE = (
    "Khung rút gọn của dự án theo 8 lĩnh vực của Chỉ số CCHC cấp tỉnh do Bộ Nội vụ xác định "
    "(phương pháp QĐ 1294/QĐ-BNV năm 2012); điểm tối đa là giả định"
)
SRC_CT = (
    "Khung rút gọn của dự án (minh họa) theo 8 lĩnh vực của Chỉ số CCHC, dùng cho các sở của "
    "thành phố Cần Thơ sau sắp xếp năm 2025; không phải bộ tiêu chí chính thức của UBND thành phố"
)
SRC_HD = (
    "Khung rút gọn của dự án theo 8 lĩnh vực (QĐ 1150/QĐ-BNV năm 2019; từ năm 2022 QĐ 876/QĐ-BNV); "
    "không phải bộ tiêu chí chính thức của UBND tỉnh Hải Dương"
)


def framework(year, kind, source, criteria):
    return {
        "year": year,
        "unit_kind": kind,
        "source": source,
        "criteria": [
            {"code": c, "component": comp, "title": t, "max_points": pts(m), "survey_measured": s}
            for (c, comp, t, m, s) in criteria
        ],
    }


FRAMEWORKS = [
    framework(2014, "province", SRC_PROVINCE, PROVINCE_CRITERIA),
    framework(2015, "province", SRC_PROVINCE, PROVINCE_CRITERIA),
    framework(2014, "department", SRC_ST, DEPT_CRITERIA),
    framework(2015, "department", SRC_ST, DEPT_CRITERIA),
    framework(2016, "department", SRC_ST, DEPT_CRITERIA),
    framework(2014, "district", SRC_ST, DISTRICT_CRITERIA),
    framework(2015, "district", SRC_ST, DISTRICT_CRITERIA),
    framework(2021, "department", SRC_HD, HD_DEPT_CRITERIA),
    framework(2022, "department", SRC_HD, HD_DEPT_CRITERIA),
    framework(2023, "department", SRC_HD, HD_DEPT_CRITERIA),
    framework(2025, "department", SRC_CT, DEPT_CRITERIA),
]
CRITERIA_BY = {(f["year"], f["unit_kind"]): f["criteria"] for f in FRAMEWORKS}

# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------

UNITS = []


def unit(uid, name, kind, parent):
    UNITS.append({"id": uid, "name": name, "kind": kind, "parent": parent})


# Sóc Trăng ----------------------------------------------------------------------------------
unit("soc-trang", "Tỉnh Sóc Trăng", "province", None)

ST_DEPTS = [
    ("st-vp-ubnd", "Văn phòng UBND tỉnh"),
    ("st-snv", "Sở Nội vụ"),
    ("st-stp", "Sở Tư pháp"),
    ("st-skhdt", "Sở Kế hoạch và Đầu tư"),
    ("st-stc", "Sở Tài chính"),
    ("st-sct", "Sở Công Thương"),
    ("st-snnptnt", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("st-sgtvt", "Sở Giao thông vận tải"),
    ("st-sxd", "Sở Xây dựng"),
    ("st-stnmt", "Sở Tài nguyên và Môi trường"),
    ("st-stttt", "Sở Thông tin và Truyền thông"),
    ("st-sldtbxh", "Sở Lao động - Thương binh và Xã hội"),
    ("st-svhttdl", "Sở Văn hóa, Thể thao và Du lịch"),
    ("st-skhcn", "Sở Khoa học và Công nghệ"),
    ("st-sgddt", "Sở Giáo dục và Đào tạo"),
    ("st-syt", "Sở Y tế"),
    ("st-sngv", "Sở Ngoại vụ"),
    ("st-thanh-tra", "Thanh tra tỉnh"),
    ("st-ban-dan-toc", "Ban Dân tộc"),
    ("st-bql-kcn", "Ban Quản lý các Khu công nghiệp"),
    ("st-dai-ptth", "Đài Phát thanh và Truyền hình"),
    ("st-vp-hdnd", "Văn phòng Đoàn ĐBQH và HĐND tỉnh"),
]
for uid, name in ST_DEPTS:
    unit(uid, name, "department", "soc-trang")

ST_DISTRICTS = [
    ("st-tp-soc-trang", "Thành phố Sóc Trăng"),
    ("st-vinh-chau", "Thị xã Vĩnh Châu"),
    ("st-nga-nam", "Thị xã Ngã Năm"),
    ("st-chau-thanh", "Huyện Châu Thành"),
    ("st-ke-sach", "Huyện Kế Sách"),
    ("st-long-phu", "Huyện Long Phú"),
    ("st-cu-lao-dung", "Huyện Cù Lao Dung"),
    ("st-my-tu", "Huyện Mỹ Tú"),
    ("st-my-xuyen", "Huyện Mỹ Xuyên"),
    ("st-thanh-tri", "Huyện Thạnh Trị"),
    ("st-tran-de", "Huyện Trần Đề"),
]
for uid, name in ST_DISTRICTS:
    unit(uid, name, "district", "soc-trang")

# Three communes of Long Phú (real names; which communes the demo holds is a choice): they sit
# under the district until it is dissolved on 1 July 2025, then directly under the province.
ST_COMMUNES = [
    ("st-long-phu-song-phung", "Xã Song Phụng"),
    ("st-long-phu-long-duc", "Xã Long Đức"),
    ("st-long-phu-chau-khanh", "Xã Châu Khánh"),
]
for uid, name in ST_COMMUNES:
    unit(uid, name, "commune", "st-long-phu")

# The division of Sở Nội vụ the articles name (it co-organises the education department's
# reform training); the scorer of the demo works there.
unit("st-snv-cchc", "Phòng Cải cách hành chính", "division", "st-snv")

ST_SGD_DIVISIONS = [
    ("st-sgddt-vp", "Văn phòng"),
    ("st-sgddt-tt", "Thanh tra"),
    ("st-sgddt-tccb", "Phòng Tổ chức cán bộ"),
    ("st-sgddt-khtc", "Phòng Kế hoạch - Tài chính"),
    ("st-sgddt-gdmn", "Phòng Giáo dục Mầm non"),
    ("st-sgddt-gdth", "Phòng Giáo dục Tiểu học"),
    ("st-sgddt-gdtrh", "Phòng Giáo dục Trung học"),
    ("st-sgddt-gdtxcn", "Phòng Giáo dục thường xuyên - Chuyên nghiệp"),
    ("st-sgddt-ktkd", "Phòng Khảo thí và Kiểm định chất lượng giáo dục"),
]
for uid, name in ST_SGD_DIVISIONS:
    unit(uid, name, "division", "st-sgddt")

# Kiên Giang ---------------------------------------------------------------------------------
unit("kien-giang", "Tỉnh Kiên Giang", "province", None)
unit("kg-sldtbxh", "Sở Lao động - Thương binh và Xã hội", "department", "kien-giang")
KG_PSUS = [
    ("kg-tcn-tglx", "Trường Trung cấp nghề Tứ giác Long Xuyên"),
    ("kg-tcn-dtnt", "Trường Trung cấp nghề Dân tộc nội trú"),
    ("kg-ttdd-ncc", "Trung tâm Điều dưỡng Người có công"),
]
KG_DIVISIONS = [
    ("kg-sldtbxh-vp", "Văn phòng Sở"),
    ("kg-sldtbxh-ncc", "Phòng Người có công"),
    ("kg-sldtbxh-btxh", "Phòng Bảo trợ xã hội - Trẻ em - Bình đẳng giới và Tệ nạn xã hội"),
    ("kg-sldtbxh-ldvl", "Phòng Lao động - Việc làm và Giáo dục nghề nghiệp"),
]
for uid, name in KG_PSUS:
    unit(uid, name, "public-service-unit", "kg-sldtbxh")
for uid, name in KG_DIVISIONS:
    unit(uid, name, "division", "kg-sldtbxh")

# Hải Dương ----------------------------------------------------------------------------------
unit("hai-duong", "Tỉnh Hải Dương", "province", None)
HD_DEPTS = [
    ("hd-vp-ubnd", "Văn phòng UBND tỉnh"),
    ("hd-snv", "Sở Nội vụ"),
    ("hd-stp", "Sở Tư pháp"),
    ("hd-skhdt", "Sở Kế hoạch và Đầu tư"),
    ("hd-stc", "Sở Tài chính"),
    ("hd-sct", "Sở Công Thương"),
    ("hd-snnptnt", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("hd-sgtvt", "Sở Giao thông vận tải"),
    ("hd-sxd", "Sở Xây dựng"),
    ("hd-stnmt", "Sở Tài nguyên và Môi trường"),
    ("hd-stttt", "Sở Thông tin và Truyền thông"),
    ("hd-sldtbxh", "Sở Lao động - Thương binh và Xã hội"),
    ("hd-svhttdl", "Sở Văn hóa, Thể thao và Du lịch"),
    ("hd-skhcn", "Sở Khoa học và Công nghệ"),
    ("hd-sgddt", "Sở Giáo dục và Đào tạo"),
    ("hd-syt", "Sở Y tế"),
    ("hd-thanh-tra", "Thanh tra tỉnh"),
    ("hd-bql-kcn", "Ban Quản lý các khu công nghiệp tỉnh"),
]
for uid, name in HD_DEPTS:
    unit(uid, name, "department", "hai-duong")

# --------------------------------------------------------------------------------------------
# People and tenures
# --------------------------------------------------------------------------------------------

PEOPLE = [
    # Real names, as the articles give them.
    {"id": "tran-van-chuyen", "name": "Trần Văn Chuyện", "title": "Phó Bí thư Tỉnh ủy, Chủ tịch UBND tỉnh Sóc Trăng"},
    {"id": "danh-hoang-nguyen", "name": "Danh Hoàng Nguyên", "title": "Trưởng phòng Tổ chức cán bộ, Bí thư chi bộ 5, Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "duong-thanh-binh", "name": "Dương Thanh Bình", "title": "Chuyên viên Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "dang-thanh-quang", "name": "Đặng Thanh Quang", "title": "Phó Chủ tịch UBND huyện Trần Đề"},
    {"id": "dang-hong-son", "name": "Đặng Hồng Sơn", "title": "Giám đốc Sở Lao động - Thương binh và Xã hội tỉnh Kiên Giang"},
    # Invented (the articles name no one in these posts).
    {"id": "le-van-thanh", "name": "Lê Văn Thạnh", "title": "Giám đốc Sở Giáo dục và Đào tạo Sóc Trăng (đến 31/7/2016)"},
    {"id": "nguyen-thi-kim-loan", "name": "Nguyễn Thị Kim Loan", "title": "Giám đốc Sở Giáo dục và Đào tạo Sóc Trăng (từ 01/8/2016)"},
    {"id": "huynh-van-tam", "name": "Huỳnh Văn Tâm", "title": "Phó Giám đốc phụ trách CCHC, Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "vo-thi-ngoc-han", "name": "Võ Thị Ngọc Hân", "title": "Chánh Văn phòng Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "trinh-van-kiet", "name": "Trịnh Văn Kiệt", "title": "Chánh Thanh tra Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "luu-thi-my-dung", "name": "Lưu Thị Mỹ Dung", "title": "Trưởng phòng Kế hoạch - Tài chính, Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "lam-van-sang", "name": "Lâm Văn Sang", "title": "Trưởng phòng Giáo dục Trung học, Sở Giáo dục và Đào tạo Sóc Trăng"},
    {"id": "pham-thi-kim-lien", "name": "Phạm Thị Kim Liên", "title": "Chuyên viên Phòng Cải cách hành chính, Sở Nội vụ tỉnh Sóc Trăng"},
    {"id": "to-minh-triet", "name": "Tô Minh Triết", "title": "Phó Giám đốc phụ trách CCHC, Sở Giao thông vận tải Sóc Trăng"},
    {"id": "nguyen-van-ut", "name": "Nguyễn Văn Út", "title": "Phó Chủ tịch UBND huyện Long Phú, phụ trách CCHC"},
    {"id": "truong-thi-bich-thuy", "name": "Trương Thị Bích Thủy", "title": "Phó Chủ tịch UBND huyện Mỹ Xuyên, phụ trách CCHC"},
    {"id": "ly-quoc-dung", "name": "Lý Quốc Dũng", "title": "Phó Chủ tịch UBND huyện Trần Đề, phụ trách CCHC"},
    {"id": "doan-van-hieu", "name": "Đoàn Văn Hiếu", "title": "Phó Chủ tịch UBND thị xã Ngã Năm, phụ trách CCHC"},
    {"id": "vu-duc-cuong", "name": "Vũ Đức Cường", "title": "Giám đốc Sở Giáo dục và Đào tạo Hải Dương"},
    {"id": "pham-thi-thu-huong", "name": "Phạm Thị Thu Hương", "title": "Phó Giám đốc phụ trách CCHC, Sở Giáo dục và Đào tạo Hải Dương"},
    {"id": "nguyen-huu-thang", "name": "Nguyễn Hữu Thắng", "title": "Chuyên viên Phòng Cải cách hành chính, Sở Nội vụ tỉnh Hải Dương"},
]

TENURES = [
    # Sóc Trăng education department: two successive heads in 2016 (invented people and dates).
    {"id": "st-sgddt-head-le-van-thanh", "unit": "st-sgddt", "person": "le-van-thanh", "role": "head", "from": "2012-03-01", "to": "2016-08-01"},
    {"id": "st-sgddt-head-nguyen-thi-kim-loan", "unit": "st-sgddt", "person": "nguyen-thi-kim-loan", "role": "head", "from": "2016-08-01", "to": None},
    {"id": "st-sgddt-cchc-huynh-van-tam", "unit": "st-sgddt", "person": "huynh-van-tam", "role": "reform-deputy", "from": "2014-01-02", "to": None},
    # Division heads (Danh Hoàng Nguyên's post is from the article; the start dates are invented).
    {"id": "st-sgddt-tccb-head-danh-hoang-nguyen", "unit": "st-sgddt-tccb", "person": "danh-hoang-nguyen", "role": "head", "from": "2014-07-01", "to": None},
    {"id": "st-sgddt-vp-head-vo-thi-ngoc-han", "unit": "st-sgddt-vp", "person": "vo-thi-ngoc-han", "role": "head", "from": "2013-10-01", "to": None},
    {"id": "st-sgddt-tt-head-trinh-van-kiet", "unit": "st-sgddt-tt", "person": "trinh-van-kiet", "role": "head", "from": "2015-01-05", "to": None},
    {"id": "st-sgddt-khtc-head-luu-thi-my-dung", "unit": "st-sgddt-khtc", "person": "luu-thi-my-dung", "role": "head", "from": "2012-09-01", "to": None},
    {"id": "st-sgddt-gdtrh-head-lam-van-sang", "unit": "st-sgddt-gdtrh", "person": "lam-van-sang", "role": "head", "from": "2014-03-01", "to": None},
    # Kiên Giang labour department: the head is real (he led the 2020 inspection); start invented.
    {"id": "kg-sldtbxh-head-dang-hong-son", "unit": "kg-sldtbxh", "person": "dang-hong-son", "role": "head", "from": "2019-01-01", "to": None},
    # Hải Dương education department: invented people and dates; the article only says one
    # deputy director was put in charge of reform.
    {"id": "hd-sgddt-head-vu-duc-cuong", "unit": "hd-sgddt", "person": "vu-duc-cuong", "role": "head", "from": "2020-06-01", "to": None},
    {"id": "hd-sgddt-cchc-pham-thi-thu-huong", "unit": "hd-sgddt", "person": "pham-thi-thu-huong", "role": "reform-deputy", "from": "2021-01-04", "to": None},
    # The leaders in charge of reform who record the 2015 self-assessments of their units
    # (invented people and dates: a self-assessment is the unit leadership's to record).
    {"id": "st-sgtvt-cchc-to-minh-triet", "unit": "st-sgtvt", "person": "to-minh-triet", "role": "reform-deputy", "from": "2014-01-02", "to": None},
    {"id": "st-long-phu-cchc-nguyen-van-ut", "unit": "st-long-phu", "person": "nguyen-van-ut", "role": "reform-deputy", "from": "2014-01-02", "to": None},
    {"id": "st-my-xuyen-cchc-truong-thi-bich-thuy", "unit": "st-my-xuyen", "person": "truong-thi-bich-thuy", "role": "reform-deputy", "from": "2014-01-02", "to": None},
    {"id": "st-tran-de-cchc-ly-quoc-dung", "unit": "st-tran-de", "person": "ly-quoc-dung", "role": "reform-deputy", "from": "2014-01-02", "to": None},
    {"id": "st-nga-nam-cchc-doan-van-hieu", "unit": "st-nga-nam", "person": "doan-van-hieu", "role": "reform-deputy", "from": "2014-01-02", "to": None},
]

# Access besides leadership (docs/security.md): the appraisers of the two provinces' Sở Nội vụ,
# and the staff who report progress and file evidence for units they do not lead. Invented
# dates. The administrator is not here: `reformctl up` instates one by the genesis step.
GRANTS = [
    {"person": "pham-thi-kim-lien", "access": "appraiser", "unit": "st-snv", "from": "2014-01-02"},
    {"person": "pham-thi-kim-lien", "access": "staff", "unit": "soc-trang", "from": "2014-01-02"},
    {"person": "nguyen-huu-thang", "access": "appraiser", "unit": "hd-snv", "from": "2020-01-02"},
    {"person": "duong-thanh-binh", "access": "staff", "unit": "st-sgddt", "from": "2014-01-02"},
    {"person": "duong-thanh-binh", "access": "staff", "unit": "st-sgddt-tccb", "from": "2014-01-02"},
]

# --------------------------------------------------------------------------------------------
# Totals (hundredths). Sóc Trăng totals are invented, ordered to give the published ranks.
# --------------------------------------------------------------------------------------------

# Districts: 2014 rank order and 2015 rank order; see README for why these orders are the
# only shape (up to Thạnh Trị / Kế Sách / Long Phú choices) that fits the article.
ST_DISTRICT_TOTALS = {
    #                   2014   2015
    "st-long-phu":     (8435, 8872),  # 1 -> 1
    "st-ke-sach":      (8290, 8194),  # 2 -> 6  (down 4)
    "st-thanh-tri":    (8147, 8057),  # 3 -> 7  (not in the articles)
    "st-chau-thanh":   (8012, 7640),  # 4 -> 10 (down 6)
    "st-cu-lao-dung":  (7864, 8418),  # 5 -> 4  (up 1)
    "st-my-tu":        (7720, 8306),  # 6 -> 5  (up 1)
    "st-vinh-chau":    (7605, 7812),  # 7 -> 9  (down 2)
    "st-my-xuyen":     (7483, 8745),  # 8 -> 2
    "st-tp-soc-trang": (7356, 7983),  # 9 -> 8  (up 1)
    "st-tran-de":      (7128, 8630),  # 10 -> 3 (up 7)
    "st-nga-nam":      (6891, 7265),  # 11 -> 11
}

ST_DEPT_TOTALS = {
    #                  2014   2015      ranks 2014 -> 2015
    "st-snv":         (8640, 8602),  # 1 -> 3   down
    "st-stttt":       (8512, 8890),  # 2 -> 1   up
    "st-skhdt":       (8405, 8821),  # 3 -> 2   up
    "st-stp":         (8331, 8312),  # 4 -> 8   down
    "st-stc":         (8247, 8566),  # 5 -> 4   up
    "st-vp-ubnd":     (8160, 7987),  # 6 -> 13  down
    "st-sct":         (8088, 8503),  # 7 -> 5   up
    "st-skhcn":       (7995, 7842),  # 8 -> 15  down
    "st-syt":         (7902, 8385),  # 9 -> 7   up
    "st-stnmt":       (7816, 7605),  # 10 -> 18 down
    "st-sldtbxh":     (7740, 8264),  # 11 -> 9  up
    "st-svhttdl":     (7653, 8198),  # 12 -> 10 up
    "st-snnptnt":     (7571, 8120),  # 13 -> 11 up
    "st-sxd":         (7482, 7295),  # 14 -> 20 down
    "st-sgddt":       (7390, 8447),  # 15 -> 6  up 9 (the article's "tăng 9 bậc")
    "st-thanh-tra":   (7264, 7910),  # 16 -> 14 up
    "st-bql-kcn":     (7185, 7766),  # 17 -> 16 up
    "st-sngv":        (7077, 7031),  # 18 -> 21 down
    "st-ban-dan-toc": (6958, 7693),  # 19 -> 17 up
    "st-sgtvt":       (6830, 8055),  # 20 -> 12 up 8 (the other "cải thiện vượt bậc")
    "st-dai-ptth":    (6692, 6610),  # 21 -> 22 down
    "st-vp-hdnd":     (6514, 7380),  # 22 -> 19 up
}

# The province's own index: 2015 = 86.15 and 2014 = 86.15 - 4.43 = 81.72 (article 004). The
# five fields the article says ranked up get more points in 2015; the other three do not.
PROVINCE_SCORES = {
    2014: ["6.10", "3.40", "7.85", "9.90", "7.60", "10.35", "7.12", "7.05", "14.20", "8.15"],
    2015: ["6.10", "3.25", "7.70", "11.05", "8.30", "11.60", "7.90", "7.90", "14.05", "8.30"],
}

# Hải Dương: rank orders per year (the education department at 16, 9, 5 as published; the
# others invented), turned into strictly decreasing invented totals.
HD_ORDER = {
    2021: ["hd-snv", "hd-stttt", "hd-skhdt", "hd-vp-ubnd", "hd-stp", "hd-stc", "hd-sct",
           "hd-bql-kcn", "hd-stnmt", "hd-sldtbxh", "hd-skhcn", "hd-svhttdl", "hd-syt",
           "hd-snnptnt", "hd-sxd", "hd-sgddt", "hd-sgtvt", "hd-thanh-tra"],
    2022: ["hd-stttt", "hd-snv", "hd-skhdt", "hd-stp", "hd-vp-ubnd", "hd-stc", "hd-sldtbxh",
           "hd-sct", "hd-sgddt", "hd-bql-kcn", "hd-stnmt", "hd-skhcn", "hd-svhttdl",
           "hd-snnptnt", "hd-syt", "hd-sgtvt", "hd-sxd", "hd-thanh-tra"],
    2023: ["hd-snv", "hd-stttt", "hd-stp", "hd-skhdt", "hd-sgddt", "hd-vp-ubnd", "hd-stc",
           "hd-sldtbxh", "hd-sct", "hd-bql-kcn", "hd-skhcn", "hd-stnmt", "hd-snnptnt",
           "hd-svhttdl", "hd-sgtvt", "hd-syt", "hd-thanh-tra", "hd-sxd"],
}
HD_TOP = {2021: 9168, 2022: 9231, 2023: 9304}


def hd_totals(year):
    out, value = {}, HD_TOP[year]
    for i, uid in enumerate(HD_ORDER[year]):
        out[uid] = value
        value -= 24 + h("hd-gap", year, i) % 71  # gaps of 0.24 to 0.94 points
    return out


# --------------------------------------------------------------------------------------------
# Splitting a total over criteria
# --------------------------------------------------------------------------------------------


def split(key, total, criteria):
    """Per-criterion points (hundredths) that sum to `total`, each within [35 %, 100 %] of
    its maximum, varied by a hash of `key`."""
    maxima = [hund(c["max_points"]) for c in criteria]
    whole = sum(maxima)
    values = []
    for i, m in enumerate(maxima):
        spread = m * 7 // 100
        v = m * total // whole + (h(key, "d", i) % (2 * spread + 1)) - spread
        values.append(max(m * 35 // 100, min(m, v)))
    diff = total - sum(values)
    order = sorted(range(len(maxima)), key=lambda i: h(key, "o", i))
    while diff != 0:
        moved = False
        for i in order:
            if diff == 0:
                break
            step = min(abs(diff), 37)
            if diff > 0 and values[i] + step <= maxima[i]:
                values[i] += step
                diff -= step
                moved = True
            elif diff < 0 and values[i] - step >= maxima[i] * 35 // 100:
                values[i] -= step
                diff += step
                moved = True
        if not moved:
            raise SystemExit("cannot split %s over %s" % (total, key))
    return values


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------

SCORES = []
STAGE_ORDER = {"self-assessed": 0, "appraised": 1, "final": 2}


def score(uid, year, code, stage, value, on, by, reason, evidence=()):
    SCORES.append({
        "unit": uid, "year": year, "criterion": code, "stage": stage, "points": pts(value),
        "on": on, "by": by, "reason": reason, "evidence": list(evidence),
    })


ST_DATES = {
    # year: (self-assessed, appraised, final)
    2014: ("2015-03-16", "2015-08-14", "2015-09-25"),
    2015: ("2016-03-15", "2016-08-12", "2016-10-17"),
}
ST_FINAL_REASON = {
    2014: "Chỉ số CCHC năm 2014 do UBND tỉnh công bố (quyết định và ngày: giả định)",
    2015: "Chỉ số CCHC năm 2015, Quyết định số 2491 ngày 17/10/2016 của UBND tỉnh",
}
APPRAISED_ONLY_REASON = "Điểm thẩm định (không có điểm tự đánh giá trong dữ liệu demo)"
SURVEY_REASON = "Kết quả điều tra xã hội học"

# Units whose self-assessment the demo records, with who recorded it, and appraisal reasons
# for criteria where the council moved the score: code -> (delta in hundredths taken off the
# self-assessed score by the council, reason). Negative delta: the council raised it.
SELF_ASSESSED = {
    ("st-sgddt", 2015): ("huynh-van-tam", {
        "1.1": (75, "Kế hoạch CCHC năm 2015 và một số báo cáo ban hành chưa kịp thời (hạn chế nêu tại Nghị quyết 07/NQ-CB5)"),
        "3.1": (150, "Chưa cập nhật các thủ tục hành chính thuộc thẩm quyền giải quyết của Sở (hạn chế nêu tại Nghị quyết 07/NQ-CB5)"),
        "7.1": (200, "Chưa cung cấp dịch vụ công trực tuyến mức độ 3 (hạn chế nêu tại Nghị quyết 07/NQ-CB5)"),
    }),
    ("st-sgtvt", 2015): ("to-minh-triet", {
        "3.1": (100, "Một số thủ tục hành chính niêm yết chưa đúng mẫu quy định"),
        "5.1": (-50, "Bổ sung tài liệu kiểm chứng về đào tạo, bồi dưỡng công chức sau thẩm định sơ bộ"),
    }),
    ("st-long-phu", 2015): ("nguyen-van-ut", {
        "1.2": (50, "Chưa có tài liệu kiểm chứng về sáng kiến CCHC được công nhận"),
    }),
    ("st-my-xuyen", 2015): ("truong-thi-bich-thuy", {
        "2.1": (60, "Một văn bản quy phạm pháp luật chưa được rà soát theo kế hoạch"),
        "7.1": (90, "Tỷ lệ văn bản điện tử chưa đạt chỉ tiêu"),
    }),
    ("st-tran-de", 2015): ("ly-quoc-dung", {
        "3.1": (40, "Một số thủ tục tại Trung tâm hành chính tập trung chưa cập nhật trên Cổng thông tin điện tử"),
        "4.1": (-30, "Bổ sung quyết định kiện toàn bộ phận một cửa liên thông"),
    }),
    ("st-nga-nam", 2015): ("doan-van-hieu", {
        "1.1": (80, "Báo cáo CCHC quý III gửi chậm so với quy định"),
        "3.1": (220, "Tỷ lệ hồ sơ giải quyết trễ hạn cao; kết quả áp dụng TCVN ISO 9001:2008 chưa đồng bộ"),
        "5.1": (110, "Còn công chức vi phạm kỷ luật, kỷ cương hành chính trong năm"),
    }),
    ("hd-sgddt", 2021): ("pham-thi-thu-huong", {
        "3.1": (180, "Còn hồ sơ thủ tục hành chính giải quyết quá hạn tại Trung tâm Phục vụ hành chính công"),
        "4.1": (120, "Chưa hoàn thành đề án vị trí việc làm theo hướng dẫn"),
        "7.1": (160, "Tỷ lệ hồ sơ tiếp nhận trực tuyến thấp"),
    }),
    ("hd-sgddt", 2022): ("pham-thi-thu-huong", {
        "5.1": (70, "Một trường hợp chậm trả kết quả chưa có văn bản xin lỗi người dân"),
    }),
    ("hd-sgddt", 2023): ("pham-thi-thu-huong", {
        "1.2": (40, "Kế hoạch kiểm tra CCHC chưa bao quát hết các phòng"),
    }),
}
ST_SELF_REASON = "Tự đánh giá của đơn vị; tài liệu kiểm chứng lưu tại đơn vị (chưa số hóa trong dữ liệu demo)"
HD_DATES = {
    # year: (self-assessed, appraised, final): invented, in the first half of the next year.
    2021: ("2022-01-14", "2022-03-18", "2022-04-15"),
    2022: ("2023-01-13", "2023-03-17", "2023-04-14"),
    2023: ("2024-01-12", "2024-03-15", "2024-04-12"),
}
HD_FINAL_REASON = "Chỉ số CCHC năm %d của các sở, ngành, UBND tỉnh Hải Dương công bố"


def self_assessed_values(uid, year, finals, criteria, adjustments):
    """Self-assessed points on the non-survey criteria, from the appraised (= final) ones."""
    out = {}
    for c, fin in zip(criteria, finals):
        if c["survey_measured"]:
            continue
        m = hund(c["max_points"])
        adj = adjustments.get(c["code"])
        if adj is None:
            out[c["code"]] = fin
        else:
            out[c["code"]] = max(0, min(m, fin + adj[0]))
    return out


def score_unit_year(uid, kind, year, total, dates, scorer, final_reason, final_values=None):
    criteria = CRITERIA_BY[(year, kind)]
    finals = final_values or split("%s:%d" % (uid, year), total, criteria)
    assert sum(finals) == total, (uid, year)
    sa_on, ap_on, fi_on = dates
    sa = SELF_ASSESSED.get((uid, year))
    if sa is not None:
        person, adjustments = sa
        own = self_assessed_values(uid, year, finals, criteria, adjustments)
        for c in criteria:
            if c["code"] in own:
                reason = ST_SELF_REASON
                score(uid, year, c["code"], "self-assessed", own[c["code"]], sa_on, person, reason)
    for c, fin in zip(criteria, finals):
        if c["survey_measured"]:
            reason = SURVEY_REASON
        elif sa is not None:
            adj = sa[1].get(c["code"])
            reason = adj[1] if adj else "Thống nhất với điểm tự đánh giá"
        else:
            reason = APPRAISED_ONLY_REASON
        score(uid, year, c["code"], "appraised", fin, ap_on, scorer, reason)
    for c, fin in zip(criteria, finals):
        score(uid, year, c["code"], "final", fin, fi_on, scorer, final_reason)


for year in (2014, 2015):
    for uid, _ in ST_DEPTS:
        score_unit_year(uid, "department", year, ST_DEPT_TOTALS[uid][year - 2014],
                        ST_DATES[year], "pham-thi-kim-lien", ST_FINAL_REASON[year])
    for uid, _ in ST_DISTRICTS:
        score_unit_year(uid, "district", year, ST_DISTRICT_TOTALS[uid][year - 2014],
                        ST_DATES[year], "pham-thi-kim-lien", ST_FINAL_REASON[year])
    values = [hund(p) for p in PROVINCE_SCORES[year]]
    score_unit_year("soc-trang", "province", year, sum(values),
                    (None, "%d-06-%02d" % (year + 1, 20 if year == 2014 else 17),
                     "%d-06-%02d" % (year + 1, 25 if year == 2014 else 24)),
                    "pham-thi-kim-lien",
                    "Chỉ số CCHC năm %d của tỉnh do Bộ Nội vụ công bố (tổng điểm theo bài báo ngày 07/12/2016; điểm từng lĩnh vực là giả định)" % year,
                    final_values=values)

# A correction, so one key has two values in its history: Ngã Năm's 2015 appraisal of 3.1 was
# first entered 1.00 point too low and corrected a week later (invented).
for row in SCORES:
    if (row["unit"], row["year"], row["criterion"], row["stage"]) == ("st-nga-nam", 2015, "3.1", "appraised"):
        corrected = dict(row)
        corrected["on"] = "2016-08-19"
        corrected["reason"] = row["reason"] + "; đính chính lỗi nhập liệu ngày 12/8/2016"
        row["points"] = pts(hund(row["points"]) - 100)
        SCORES.append(corrected)
        break

for year in (2021, 2022, 2023):
    totals = hd_totals(year)
    for uid, _ in HD_DEPTS:
        score_unit_year(uid, "department", year, totals[uid], HD_DATES[year],
                        "nguyen-huu-thang", HD_FINAL_REASON % year)

# The Sóc Trăng education department's own 2016 self-assessment (no appraisal or final: the
# articles stop at the end of 2016). It cites the year's report and the review conference.
SGD_2016_SELF = {"1.1": 640, "1.2": 545, "2.1": 690, "3.1": 1290, "4.1": 840, "5.1": 1080, "6.1": 745, "7.1": 1120}
for code, value in SGD_2016_SELF.items():
    evidence = ["st-sgddt-bc-2530-2016", "st-sgddt-tb-431-2017"] if code in ("1.1", "1.2") else []
    if code == "7.1":
        reason = "Tự đánh giá; dịch vụ công trực tuyến mức độ 3 chưa hoàn thành trong năm 2016 (nhiệm vụ st16-dvc-muc-do-3 quá hạn)"
    elif evidence:
        reason = "Tự đánh giá năm 2016, kèm báo cáo năm và thông báo hội nghị tổng kết"
    else:
        reason = "Tự đánh giá năm 2016; tài liệu kiểm chứng lưu tại Văn phòng Sở (chưa số hóa trong dữ liệu demo)"
    score("st-sgddt", 2016, code, "self-assessed", value, "2017-02-24", "huynh-van-tam", reason, evidence)

SCORES.sort(key=lambda r: (r["on"], r["unit"], r["year"], STAGE_ORDER[r["stage"]], r["criterion"]))

# --------------------------------------------------------------------------------------------
# Plans, tasks, findings, evidence
# --------------------------------------------------------------------------------------------

PLANS = [
    {"id": "st-sgddt-kh-cchc-2016", "unit": "st-sgddt", "year": 2016, "document_number": "112/KH-SGDĐT",
     "title": "Kế hoạch thực hiện cải cách hành chính năm 2016 (số hiệu giả định)", "on": "2016-01-20", "by": "le-van-thanh"},
    {"id": "st-sgddt-kh-cchc-2017", "unit": "st-sgddt", "year": 2017, "document_number": "137/KH-SGDĐT",
     "title": "Kế hoạch thực hiện cải cách hành chính năm 2017", "on": "2017-01-19", "by": "nguyen-thi-kim-loan"},
    {"id": "st-sgddt-kh-cchc-2018", "unit": "st-sgddt", "year": 2018, "document_number": "96/KH-SGDĐT",
     "title": "Thực hiện cải cách hành chính năm 2018", "on": "2018-01-16", "by": "nguyen-thi-kim-loan"},
    {"id": "kg-sldtbxh-kh-kiem-tra-2020", "unit": "kg-sldtbxh", "year": 2020, "document_number": "35/KH-LĐTBXH",
     "title": "Kế hoạch kiểm tra công tác cải cách hành chính năm 2020", "on": "2020-03-17", "by": "dang-hong-son"},
]

P16 = "st-sgddt-kh-cchc-2016"
A = "le-van-thanh"         # head until 2016-07-31
B = "nguyen-thi-kim-loan"  # head from 2016-08-01


def task(tid, uid, person, plan, title, target, due, criterion, assigned_on, assigned_by, history):
    return {"id": tid, "unit": uid, "person": person, "plan": plan, "title": title, "target": target,
            "due": due, "criterion": criterion, "assigned_on": assigned_on, "assigned_by": assigned_by,
            "history": history}


TASKS = [
    task("st16-ke-hoach-tuyen-truyen", "st-sgddt-tccb", "danh-hoang-nguyen", P16,
         "Xây dựng và ban hành kế hoạch tuyên truyền CCHC năm 2016",
         "Kế hoạch tuyên truyền được Giám đốc Sở ký ban hành, gửi các phòng và đơn vị trực thuộc",
         "2016-02-29", "1.2", "2016-01-22", A,
         [{"on": "2016-02-26", "do": "complete", "note": "Đã ban hành kế hoạch tuyên truyền CCHC năm 2016"}]),
    task("st16-kiem-soat-tthc", "st-sgddt-vp", "vo-thi-ngoc-han", P16,
         "Rà soát, cập nhật và công khai các thủ tục hành chính thuộc thẩm quyền giải quyết của Sở",
         "Danh mục thủ tục hành chính cập nhật đầy đủ, niêm yết tại Bộ phận một cửa và trên trang thông tin điện tử",
         "2016-04-30", "3.1", "2016-01-22", A,
         [{"on": "2016-04-15", "do": "progress", "percent": 60, "note": "Đã rà soát 60% số thủ tục"},
          {"on": "2016-05-20", "do": "complete", "note": "Hoàn thành cập nhật, công khai; trễ 20 ngày so với hạn"}]),
    task("st16-tu-chu-tai-chinh", "st-sgddt-khtc", "luu-thi-my-dung", P16,
         "Hướng dẫn các đơn vị sự nghiệp trực thuộc rà soát quy chế chi tiêu nội bộ theo cơ chế tự chủ",
         "100% đơn vị sự nghiệp trực thuộc ban hành lại quy chế chi tiêu nội bộ",
         "2016-03-31", "6.1", "2016-01-22", A,
         [{"on": "2016-03-30", "do": "complete", "note": "Các đơn vị đã gửi quy chế chi tiêu nội bộ sửa đổi"}]),
    task("st16-mot-cua-dien-tu", "st-sgddt-vp", "vo-thi-ngoc-han", P16,
         "Kiểm tra, quản lý thường xuyên việc sử dụng phần mềm một cửa điện tử",
         "Quy chế quản lý phần mềm một cửa điện tử; kiểm tra hằng tháng có biên bản",
         "2016-06-30", "7.1", "2016-01-22", A,
         [{"on": "2016-06-29", "do": "complete", "note": "Ban hành quy chế, tổ chức kiểm tra định kỳ hằng tháng"}]),
    task("st16-kiem-tra-cchc", "st-sgddt-tt", "trinh-van-kiet", P16,
         "Thành lập tổ kiểm tra và kiểm tra công tác CCHC tại các phòng và đơn vị trực thuộc Sở",
         "Quyết định thành lập tổ kiểm tra; biên bản kiểm tra tại các phòng và đơn vị; báo cáo kết quả",
         "2016-06-30", "1.2", "2016-01-22", A,
         [{"on": "2016-05-31", "do": "progress", "percent": 40, "note": "Đã kiểm tra 4 đơn vị trực thuộc"},
          {"on": "2016-06-28", "do": "deadline", "new_due": "2016-09-30",
           "reason": "Lồng ghép kiểm tra CCHC với thanh tra hè và các biện pháp của Nghị quyết 07/NQ-CB5"},
          {"on": "2016-09-28", "do": "complete", "note": "Hoàn thành kiểm tra, có báo cáo kết quả"}]),
    task("st16-vbqppl", "st-sgddt-vp", "vo-thi-ngoc-han", P16,
         "Tham mưu UBND tỉnh ban hành kịp thời các văn bản quy phạm pháp luật liên quan đến ngành",
         "Dự thảo văn bản quy phạm pháp luật trình UBND tỉnh đúng tiến độ chương trình năm",
         "2016-06-30", "2.1", "2016-01-22", A,
         [{"on": "2016-06-20", "do": "progress", "percent": 50, "note": "Đang lấy ý kiến góp ý dự thảo"},
          {"on": "2016-10-14", "do": "progress", "percent": 80, "note": "Chờ Sở Tư pháp thẩm định"}]),
    task("st16-dvc-muc-do-3", "st-sgddt-vp", "vo-thi-ngoc-han", P16,
         "Cung cấp dịch vụ công trực tuyến mức độ 3 đối với các thủ tục hành chính đủ điều kiện",
         "Ít nhất 5 thủ tục hành chính tiếp nhận trực tuyến mức độ 3",
         "2016-10-31", "7.1", "2016-01-22", A,
         [{"on": "2016-07-15", "do": "progress", "percent": 30, "note": "Đã chọn danh mục thủ tục, phối hợp Sở Thông tin và Truyền thông"},
          {"on": "2016-10-20", "do": "progress", "percent": 60, "note": "Đang chạy thử trên cổng dịch vụ công của tỉnh"}]),
    task("st16-bao-cao-quy-3", "st-sgddt-tccb", "duong-thanh-binh", P16,
         "Báo cáo tình hình, kết quả thực hiện CCHC quý III và phương hướng quý IV năm 2016",
         "Báo cáo gửi Sở Nội vụ đúng hạn",
         "2016-08-20", "1.1", "2016-01-22", A,
         [{"on": "2016-08-15", "do": "progress", "percent": 60, "note": "Đang tổng hợp số liệu từ các phòng"},
          {"on": "2016-08-25", "do": "complete", "note": "Ban hành báo cáo số 1664/BC-SGDĐT; trễ 5 ngày"}]),
    task("st16-bao-cao-nam", "st-sgddt-tccb", "duong-thanh-binh", P16,
         "Báo cáo kết quả thực hiện công tác CCHC năm 2016",
         "Báo cáo năm gửi Sở Nội vụ đúng hạn",
         "2016-11-20", "1.1", "2016-01-22", A,
         [{"on": "2016-11-18", "do": "complete", "note": "Ban hành báo cáo số 2530/BC-SGDĐT"}]),
    task("st16-chat-luong-ccvc", "st-sgddt-tccb", "danh-hoang-nguyen", P16,
         "Bồi dưỡng nâng chuẩn đội ngũ công chức, viên chức đạt chỉ tiêu quy định",
         "Tỷ lệ công chức, viên chức đạt chuẩn theo chỉ tiêu của kế hoạch năm",
         "2016-12-15", "5.1", "2016-01-22", A,
         [{"on": "2016-09-30", "do": "progress", "percent": 70, "note": "Đã cử 70% số người theo kế hoạch đi bồi dưỡng"}]),
    task("st16-chuyen-de-chi-bo-5", "st-sgddt-tccb", "danh-hoang-nguyen", None,
         "Sinh hoạt chuyên đề \"Một số biện pháp góp phần nâng cao hiệu quả công tác cải cách hành chính tại Sở Giáo dục và Đào tạo Sóc Trăng\"",
         "Nghị quyết của chi bộ 5 nêu hạn chế, nguyên nhân và biện pháp",
         "2016-05-31", "1.2", "2016-03-15", A,
         [{"on": "2016-05-27", "do": "complete", "note": "Ban hành Nghị quyết số 07/NQ-CB5"}]),
    task("st16-tieu-chi-thi-dua", "st-sgddt-tccb", "danh-hoang-nguyen", P16,
         "Tham mưu xây dựng tiêu chí thi đua, khen thưởng có tiêu chí thực hiện nhiệm vụ CCHC",
         "Bộ tiêu chí đánh giá cá nhân, tập thể có tiêu chí CCHC được Giám đốc Sở ban hành",
         "2016-08-31", "5.1", "2016-06-01", A,
         [{"on": "2016-08-30", "do": "complete", "note": "Giám đốc Sở ký ban hành bộ tiêu chí"}]),
    task("st16-tap-huan-cchc", "st-sgddt-tccb", "danh-hoang-nguyen", P16,
         "Chủ trì, phối hợp Phòng Cải cách hành chính, Sở Nội vụ tổ chức lớp tập huấn nghiệp vụ CCHC cho các phòng và đơn vị trực thuộc",
         "Một lớp tập huấn cho cán bộ phụ trách CCHC của tất cả các phòng và đơn vị trực thuộc",
         "2016-10-31", "5.1", "2016-06-01", A,
         [{"on": "2016-10-25", "do": "progress", "percent": 50, "note": "Chờ lịch giảng viên của Sở Nội vụ"},
          {"on": "2016-11-10", "do": "complete", "note": "Tổ chức xong lớp tập huấn; trễ 10 ngày"}]),
    task("st16-sang-kien-cchc", "st-sgddt-gdtrh", "lam-van-sang", P16,
         "Xây dựng sáng kiến đột phá trong CCHC tại cơ quan và các đơn vị sự nghiệp công lập trực thuộc",
         "Ít nhất một sáng kiến CCHC được Hội đồng sáng kiến công nhận",
         "2016-11-30", "1.2", "2016-01-22", A,
         [{"on": "2016-09-15", "do": "cancel",
           "reason": "Chuyển sang kế hoạch CCHC năm 2017 vì chưa bố trí được kinh phí"}]),
    task("st16-ke-hoach-cchc-2017", "st-sgddt-tccb", "danh-hoang-nguyen", None,
         "Tham mưu ban hành kế hoạch thực hiện CCHC năm 2017",
         "Kế hoạch CCHC năm 2017 giao nhiệm vụ, chỉ tiêu cụ thể cho từng phòng, cá nhân",
         "2017-01-20", "1.1", "2016-12-05", B,
         [{"on": "2017-01-19", "do": "complete", "note": "Ban hành Kế hoạch số 137/KH-SGDĐT"}]),
]

INSPECTION = "12826/QĐ-LĐTBXH"
FINDINGS_SRC = [
    # (id, unit, day, text, remediation title, due)
    ("kg20-f01", "kg-sldtbxh-vp", "2020-08-25",
     "Việc cụ thể hóa kế hoạch thực hiện và báo cáo định kỳ của Sở từng lúc còn chậm so với yêu cầu",
     "2020-10-15"),
    ("kg20-f02", "kg-sldtbxh-vp", "2020-08-25",
     "Công tác rà soát, hệ thống hóa văn bản quy phạm pháp luật, theo dõi thi hành pháp luật chưa được thực hiện kịp thời",
     "2020-12-31"),
    ("kg20-f03", "kg-sldtbxh-ncc", "2020-08-25",
     "Việc tuyên truyền người dân thực hiện đăng ký hồ sơ qua dịch vụ công trực tuyến mức độ 3, 4 từng lúc còn hạn chế",
     "2020-12-31"),
    ("kg20-f04", "kg-sldtbxh-btxh", "2020-08-26",
     "Công tác triển khai, tuyên truyền các văn bản chỉ đạo, hướng dẫn thực hiện về cải cách hành chính trong đơn vị chưa được thường xuyên",
     "2020-10-31"),
    ("kg20-f05", "kg-sldtbxh-ldvl", "2020-08-26",
     "Việc tuyên truyền người dân thực hiện đăng ký hồ sơ qua dịch vụ công trực tuyến mức độ 3, 4 từng lúc còn hạn chế",
     "2020-12-31"),
    ("kg20-f06", "kg-tcn-tglx", "2020-08-27",
     "Việc xây dựng quy chế làm việc của đơn vị có nội dung chưa bám sát với yêu cầu",
     "2020-10-31"),
    ("kg20-f07", "kg-tcn-tglx", "2020-08-27",
     "Chưa công khai đầy đủ thủ tục hành chính của đơn vị Trường (thành phần, số lượng hồ sơ, thời hạn giải quyết, quy trình thực hiện)",
     "2020-09-30"),
    ("kg20-f08", "kg-tcn-dtnt", "2020-08-27",
     "Việc xây dựng quy chế làm việc của đơn vị có nội dung chưa bám sát với yêu cầu",
     "2020-10-31"),
    ("kg20-f09", "kg-tcn-dtnt", "2020-08-27",
     "Chưa công khai đầy đủ thủ tục hành chính của đơn vị Trường (thành phần, số lượng hồ sơ, thời hạn giải quyết, quy trình thực hiện)",
     "2020-09-30"),
    ("kg20-f10", "kg-ttdd-ncc", "2020-08-28",
     "Việc ứng dụng công nghệ thông tin trao đổi công việc còn ít",
     "2020-12-31"),
    ("kg20-f11", "kg-ttdd-ncc", "2020-08-28",
     "Công tác triển khai, tuyên truyền các văn bản chỉ đạo, hướng dẫn thực hiện về cải cách hành chính trong đơn vị chưa được thường xuyên",
     "2020-10-31"),
]
FINDINGS = [
    {"id": fid, "unit": uid, "inspection_document": INSPECTION, "text": text, "on": on,
     "remediation_task": fid.replace("-f", "-khac-phuc-"), "remediation_due": due, "by": "dang-hong-son"}
    for (fid, uid, on, text, due) in FINDINGS_SRC
]


def ev(eid, uid, tsk, crit, title, number, date, content, on=None, by="duong-thanh-binh"):
    return {"id": eid, "unit": uid, "task": tsk, "criterion": crit, "title": title,
            "document_number": number, "document_date": date, "media_type": "text/plain",
            "content": content, "on": on or date, "by": by}


SGD = "st-sgddt"
EVIDENCE = [
    ev("st-sgddt-nq-07-cb5-2016", "st-sgddt-tccb", "st16-chuyen-de-chi-bo-5", "1.2",
       "Nghị quyết sinh hoạt chuyên đề \"Một số biện pháp góp phần nâng cao hiệu quả công tác cải cách hành chính tại Sở Giáo dục và Đào tạo Sóc Trăng\"",
       "07/NQ-CB5", "2016-05-27",
       "Chi bộ 5 (phòng Tổ chức cán bộ). Hạn chế năm 2015: kế hoạch, báo cáo chưa kịp thời; tuyên truyền hình thức; kiểm tra chưa thường xuyên; văn bản QPPL chưa kịp thời; chưa có dịch vụ công trực tuyến mức độ 3; ứng dụng CNTT hạn chế; chưa cập nhật TTHC; chất lượng đội ngũ chưa đạt chỉ tiêu; chưa có sáng kiến đột phá; phần mềm một cửa điện tử chưa được kiểm tra thường xuyên. Biện pháp: (1) tăng cường lãnh đạo, chỉ đạo; (2) đẩy mạnh tuyên truyền; (3) bồi dưỡng nghiệp vụ; (4) thanh tra, kiểm tra; (5) gắn CCHC với thi đua, khen thưởng.",
       by="danh-hoang-nguyen"),
    ev("st-sgddt-bc-1664-2016", "st-sgddt-tccb", "st16-bao-cao-quy-3", "1.1",
       "Tình hình, kết quả thực hiện cải cách hành chính quý III và phương hướng, nhiệm vụ quý IV năm 2016",
       "1664/BC-SGDĐT", "2016-08-25",
       "Báo cáo quý III năm 2016 của Sở Giáo dục và Đào tạo Sóc Trăng về kết quả thực hiện CCHC và nhiệm vụ quý IV (nội dung tóm tắt do dự án soạn)."),
    ev("st-sgddt-bc-2530-2016", "st-sgddt-tccb", "st16-bao-cao-nam", "1.1",
       "Báo cáo kết quả thực hiện công tác cải cách hành chính năm 2016",
       "2530/BC-SGDĐT", "2016-11-18",
       "Báo cáo năm 2016 về công tác CCHC của Sở Giáo dục và Đào tạo Sóc Trăng (nội dung tóm tắt do dự án soạn)."),
    ev("st-sgddt-kh-137-2017", "st-sgddt-tccb", "st16-ke-hoach-cchc-2017", "1.1",
       "Kế hoạch thực hiện cải cách hành chính năm 2017", "137/KH-SGDĐT", "2017-01-19",
       "Kế hoạch CCHC năm 2017 của Sở Giáo dục và Đào tạo Sóc Trăng, giao nhiệm vụ cho từng phòng, cá nhân (nội dung tóm tắt do dự án soạn)."),
]
# The rest of the document list on the education department's site (article 004), attached
# to the department with the criterion they bear on; titles as listed there (some truncated
# by the site, completed in brackets).
SGD_DOCS = [
    ("185/KH-SGDĐT", "2017-02-06", "3.1", "Kiểm soát thủ tục hành chính năm 2017 thuộc phạm vi chức năng quản lý của Sở Giáo dục và Đào tạo"),
    ("431/TB-SGDĐT", "2017-02-22", "1.1", "Tổ chức Hội nghị tổng kết công tác cải cách hành chính năm 2016, triển khai nhiệm vụ công tác cải cách hành chính [năm 2017]"),
    ("578/KH-SGDĐT", "2017-03-13", "1.2", "Tuyên truyền cải cách hành chính năm 2017"),
    ("699/KH-SGDĐT", "2017-03-27", "1.2", "Kiểm tra công tác cải cách hành chính tại các đơn vị thuộc và trực thuộc Sở Giáo dục và Đào tạo năm [2017]"),
    ("707/SGDĐT-TCCB", "2017-03-28", "1.1", "Đóng góp ý kiến dự thảo tiêu chí chấm điểm chỉ số CCHC"),
    ("731/SGDĐT-TCCB", "2017-03-31", "1.2", "Góp ý dự thảo Kế hoạch tuyên truyền cải cách hành chính giai đoạn 2017-2020"),
    ("746/QĐ-SGDĐT", "2017-04-18", "1.1", "Ban hành Chỉ số cải cách hành chính đối với các đơn vị sự nghiệp trực thuộc Sở Giáo dục và Đào tạo"),
    ("1099/KH-SGDĐT", "2017-05-11", "1.2", "Tuyên truyền cải cách hành chính giai đoạn 2017-2020"),
    ("1137/BC-SGDĐT", "2017-05-16", "1.1", "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2017 và phương hướng, nhiệm vụ cải [cách hành chính 6 tháng cuối năm]"),
    ("1480/SNV-CCHC", "2017-06-30", "3.1", "Bản cam kết thực hiện cải cách thủ tục hành chính"),
    ("2667/BC-SGDĐT", "2017-11-09", "1.1", "Kết quả thực hiện công tác cải cách hành chính năm 2017 và phương hướng, nhiệm vụ cải cách hành [chính năm 2018]"),
    ("2974/TB-SGDĐT", "2017-12-22", "7.1", "Về việc cung cấp dịch vụ công trực tuyến mức độ 4"),
    ("74/SGDĐT-TCCB", "2018-01-12", "1.1", "Đóng góp ý kiến dự thảo Kế hoạch thực hiện CCHC năm 2018"),
    ("96/KH-SGDĐT", "2018-01-16", "1.1", "Thực hiện cải cách hành chính năm 2018"),
    ("139/KH-SGDĐT", "2018-01-23", "3.1", "Hoạt động kiểm soát thủ tục hành chính năm 2018 thuộc phạm vi chức năng quản lý của Sở Giáo dục và [Đào tạo]"),
    ("152/TB-SGDĐT", "2018-01-25", "3.1", "Thực hiện tiếp nhận và trả kết quả giải quyết thủ tục hành chính qua dịch vụ bưu chính công ích"),
    ("171/SGDĐT-TCCB", "2018-01-26", "1.2", "Đóng góp ý kiến dự thảo Kế hoạch tuyên truyền CCHC năm 2018"),
    ("248/KH-SGDĐT", "2018-02-05", "1.2", "Tuyên truyền cải cách hành chính năm 2018"),
    ("315/KH-SGDĐT", "2018-02-21", "1.2", "Kiểm tra công tác cải cách hành chính tại các đơn vị thuộc và trực thuộc Sở Giáo dục và Đào tạo năm [2018]"),
    ("334/SGDĐT-TCCB", "2018-02-22", "1.1", "Chấm điểm chỉ số CCHC 2017 và thực hiện nhiệm vụ CCHC năm 2018"),
    ("358/BC-SGDĐT", "2018-02-26", "1.1", "Kết quả thực hiện công tác cải cách hành chính quý I và phương hướng, nhiệm vụ cải cách hành chính [quý II năm 2018]"),
    ("1264/BC-SGDĐT", "2018-05-25", "1.1", "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm và phương hướng nhiệm vụ cải cách [hành chính 6 tháng cuối năm 2018]"),
    ("998/QĐ-SGDĐT", "2018-06-07", "1.1", "Công bố chỉ số cải cách hành chính đối với các đơn vị sự nghiệp trực thuộc Sở Giáo dục và Đào tạo [năm 2017]"),
]


def doc_id(number, date):
    kind = number.split("/")[1].split("-")[0].lower()
    kind = {"sgdđt": "cv", "snv": "cv"}.get(kind, kind).replace("đ", "d")
    return "st-sgddt-%s-%s-%s" % (kind, number.split("/")[0], date[:4])


for number, date, crit, title in SGD_DOCS:
    issuer = "Sở Nội vụ tỉnh Sóc Trăng (văn bản lưu trong hồ sơ CCHC của Sở Giáo dục và Đào tạo)" if "SNV" in number else "Sở Giáo dục và Đào tạo Sóc Trăng"
    EVIDENCE.append(ev(doc_id(number, date), SGD, None, crit, title, number, date,
                       "%s, số %s ngày %s/%s/%s: %s. Số hiệu, ngày và trích yếu theo danh mục văn bản CCHC trên trang của Sở; nội dung đầy đủ không có trong bài báo."
                       % (issuer, number, date[8:10], date[5:7], date[:4], title)))

EVIDENCE += [
    ev("soc-trang-qd-2491-2016", "soc-trang", None, None,
       "Quyết định phê duyệt và công bố Chỉ số CCHC tại các Sở, Ngành và UBND cấp huyện trên địa bàn tỉnh Sóc Trăng năm 2015",
       "2491/QĐ-UBND", "2016-10-17",
       "UBND tỉnh Sóc Trăng, Quyết định số 2491 ngày 17/10/2016 (ký hiệu \"/QĐ-UBND\" là suy đoán; bài báo chỉ ghi số 2491): 14/22 sở, ban, ngành có chỉ số năm 2015 tăng so với 2014, 8/22 giảm; Mỹ Xuyên từ thứ 8 lên thứ 2, Trần Đề từ thứ 10 lên thứ 3, Long Phú đứng đầu, Ngã Năm cuối bảng.",
       by="pham-thi-kim-lien"),
    ev("kg-sldtbxh-kh-35-2020", "kg-sldtbxh", None, "1.2",
       "Kế hoạch kiểm tra cải cách hành chính năm 2020", "35/KH-LĐTBXH", "2020-03-17",
       "Sở Lao động - Thương binh và Xã hội tỉnh Kiên Giang, Kế hoạch số 35/KH-LĐTBXH ngày 17/3/2020 về kiểm tra CCHC năm 2020.",
       by="dang-hong-son"),
    ev("kg-sldtbxh-qd-12826-2020", "kg-sldtbxh", None, "1.2",
       "Quyết định thành lập Đoàn kiểm tra công tác cải cách hành chính tại các đơn vị trực thuộc Sở năm 2020",
       "12826/QĐ-LĐTBXH", "2020-08-10",
       "Quyết định số 12826/QĐ-LĐTBXH ngày 10/8/2020. Trưởng đoàn: ông Đặng Hồng Sơn, Giám đốc Sở; thành viên là đại diện các phòng chuyên môn. Kiểm tra trực tiếp từ 25 đến 28/8/2020 tại 03 đơn vị trực thuộc và 04 phòng chuyên môn.",
       by="dang-hong-son"),
]


# --------------------------------------------------------------------------------------------
# 2025 and 2026: the restructuring, and Cần Thơ after it
# --------------------------------------------------------------------------------------------

# Resolution 202/2025/QH15: Sóc Trăng and Hậu Giang merge into Cần Thơ, Kiên Giang into An
# Giang, Hải Dương into Hải Phòng, on 1 July 2025. The loader records the shipped map
# (services/directory/maps/provinces-2025.json) at this point in the file through the plan
# `reformctl unit restructure --file` uses: under each new province a namesake of every
# department and division ("can-tho-" and the old id), the old one merged into it; the
# districts dissolved, their communes moved up to the province. Open tasks go with their unit.
RESTRUCTURE_MAP = "provinces-2025"
RESTRUCTURED_ON = "2025-07-01"


def namesake(uid, province="can-tho"):
    return province + "-" + uid


# The education department's 2025 plan, before the merger (invented number and tasks).
P25 = "st-sgddt-kh-cchc-2025"
PLANS.append({"id": P25, "unit": SGD, "year": 2025, "document_number": "25/KH-SGDĐT",
              "title": "Kế hoạch cải cách hành chính năm 2025 (số hiệu giả định)",
              "on": "2025-01-10", "by": B})
TASKS += [
    task("st25-ra-soat-bo-may", "st-sgddt-tccb", "danh-hoang-nguyen", P25,
         "Rà soát chức năng, nhiệm vụ, tổ chức bộ máy của Sở để chuẩn bị sắp xếp, hợp nhất",
         "Báo cáo rà soát và phương án sắp xếp các phòng, đơn vị trực thuộc trình Giám đốc Sở",
         "2025-05-31", "4.1", "2025-01-15", B,
         [{"on": "2025-05-28", "do": "complete", "note": "Đã trình phương án sắp xếp các phòng, đơn vị"}]),
    task("st25-bao-cao-6-thang", "st-sgddt-tccb", "duong-thanh-binh", P25,
         "Báo cáo kết quả thực hiện CCHC 6 tháng đầu năm 2025",
         "Báo cáo gửi Sở Nội vụ đúng hạn",
         "2025-06-15", "1.1", "2025-01-15", B,
         [{"on": "2025-06-12", "do": "complete", "note": "Đã gửi báo cáo 6 tháng"}]),
    task("st25-dvc-toan-trinh", "st-sgddt-vp", "vo-thi-ngoc-han", P25,
         "Cung cấp dịch vụ công trực tuyến toàn trình đối với các thủ tục hành chính đủ điều kiện",
         "100% thủ tục đủ điều kiện được cung cấp trực tuyến toàn trình trên Cổng Dịch vụ công quốc gia",
         "2025-09-30", "7.1", "2025-01-15", B,
         [{"on": "2025-05-20", "do": "progress", "percent": 50, "note": "Đã rà soát danh mục, cấu hình 12 thủ tục"},
          {"on": "2025-08-15", "do": "progress", "percent": 80,
           "note": "Sau hợp nhất: cấu hình lại trên hệ thống thông tin giải quyết TTHC của thành phố Cần Thơ"},
          {"on": "2025-09-26", "do": "complete", "note": "Hoàn thành; 100% thủ tục đủ điều kiện cung cấp toàn trình"}]),
    task("st25-so-hoa-ho-so", "st-sgddt-vp", "vo-thi-ngoc-han", P25,
         "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
         "100% hồ sơ tiếp nhận từ ngày 01/01/2025 được số hóa, lưu trên kho dữ liệu điện tử",
         "2025-12-31", "7.1", "2025-01-15", B,
         [{"on": "2025-06-20", "do": "progress", "percent": 40, "note": "Đã số hóa 40% hồ sơ"},
          {"on": "2025-11-10", "do": "progress", "percent": 75,
           "note": "Chậm do chuyển dữ liệu sang kho của thành phố Cần Thơ sau hợp nhất"}]),
]
EVIDENCE.append(
    ev("ct-sgddt-bc-dvc-toan-trinh-2025", namesake("st-sgddt-vp"), "st25-dvc-toan-trinh", "7.1",
       "Báo cáo kết quả cung cấp dịch vụ công trực tuyến toàn trình năm 2025",
       "2150/BC-SGDĐT", "2025-09-25",
       "Báo cáo của Văn phòng Sở Giáo dục và Đào tạo thành phố Cần Thơ (nhiệm vụ tiếp nhận từ Sở Giáo dục và Đào tạo Sóc Trăng): các thủ tục đủ điều kiện đã cung cấp trực tuyến toàn trình (nội dung tóm tắt do dự án soạn).",
       by="vo-thi-ngoc-han"))

# Who carries on in Cần Thơ from the first day: the same people in the namesake units
# (invented, as their earlier posts are); the scorer joins Cần Thơ's Sở Nội vụ.
TENURES += [
    {"id": "ct-sgddt-head-nguyen-thi-kim-loan", "unit": namesake(SGD), "person": B,
     "role": "head", "from": RESTRUCTURED_ON, "to": None},
    {"id": "ct-sgddt-tccb-head-danh-hoang-nguyen", "unit": namesake("st-sgddt-tccb"),
     "person": "danh-hoang-nguyen", "role": "head", "from": RESTRUCTURED_ON, "to": None},
    {"id": "ct-sgddt-vp-head-vo-thi-ngoc-han", "unit": namesake("st-sgddt-vp"),
     "person": "vo-thi-ngoc-han", "role": "head", "from": RESTRUCTURED_ON, "to": None},
]
# Her title from the day she leads Cần Thơ's department; what she did before keeps the old one.
RETITLES = [
    {"person": B, "title": "Giám đốc Sở Giáo dục và Đào tạo thành phố Cần Thơ", "from": RESTRUCTURED_ON},
]
GRANTS += [
    {"person": "pham-thi-kim-lien", "access": "appraiser", "unit": namesake("st-snv"), "from": RESTRUCTURED_ON},
    {"person": "pham-thi-kim-lien", "access": "staff", "unit": "can-tho", "from": RESTRUCTURED_ON},
    {"person": "duong-thanh-binh", "access": "staff", "unit": namesake(SGD), "from": RESTRUCTURED_ON},
    {"person": "duong-thanh-binh", "access": "staff", "unit": namesake("st-sgddt-tccb"), "from": RESTRUCTURED_ON},
]

# Cần Thơ's 2025 index of its departments, published in March 2026: invented totals for the
# 22 departments carried on from Sóc Trăng (old Cần Thơ's and Hậu Giang's are not in the demo),
# the education department third.
CT_ORDER_2025 = sorted((uid for uid, _ in ST_DEPTS if uid != SGD), key=lambda u: h("ct-2025", u))
CT_ORDER_2025.insert(2, SGD)
CT_DATES_2025 = (None, "2026-02-10", "2026-03-16")
CT_FINAL_REASON = "Chỉ số CCHC năm 2025 của các sở, ban, ngành thành phố Cần Thơ (số liệu minh họa của dự án)"
value = 9046
for i, uid in enumerate(CT_ORDER_2025):
    score_unit_year(namesake(uid), "department", 2025, value, CT_DATES_2025,
                    "pham-thi-kim-lien", CT_FINAL_REASON)
    value -= 19 + h("ct-gap", i) % 67
SCORES.sort(key=lambda r: (r["on"], r["unit"], r["year"], STAGE_ORDER[r["stage"]], r["criterion"]))

# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def line(value):
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


# --------------------------------------------------------------------------------------------
# The commands: the same facts as the requests the loader sends, in the order it sends them
# --------------------------------------------------------------------------------------------

# Who keeps the system is no fact of the articles: the genesis step instates this administrator
# (reformctl's demo::ADMINISTRATOR), who enters the directory and publishes the frameworks.
ADMINISTRATOR = "quan-tri"


def command_id(label):
    """The id that names the item, so a second load is recognised."""
    return "demo-" + hashlib.sha256(label.encode("utf-8")).hexdigest()[:24]


def present(fields):
    """A command's fields without the absent ones, as the services write them."""
    return {k: v for k, v in fields.items() if v is not None}


def request(service, label, actor, on, kind, fields, content=None):
    command = present(dict(fields))
    if kind is not None:
        command = dict({"type": kind}, **command)
    req = {"command_id": command_id(label), "actor": actor}
    if on is not None:
        req["occurred_on"] = on
    req["command"] = command
    item = {"service": service, "label": label, "request": req}
    if content is not None:
        item["content"] = content
    return item


def covers(tenure, day):
    return tenure["from"] <= day and (tenure["to"] is None or day < tenure["to"])


def head_above(units, tenures, unit, day):
    """The head in office on `day` of the unit or the nearest unit above it that has one."""
    start = unit
    while unit is not None:
        heads = sorted((t for t in tenures if t["unit"] == unit and t["role"] == "head"),
                       key=lambda t: (t["from"], t["id"]))
        for t in heads:
            if covers(t, day):
                return t["person"]
        unit = units[unit]["parent"]
    raise SystemExit("no head above %s on %s" % (start, day))


def task_step(units, tenures, t, n, step):
    label = "step:%s:%d" % (t["id"], n)
    reporter = t["person"] or t["assigned_by"]
    on = step["on"]
    if step["do"] == "progress":
        actor, kind = reporter, "report-progress"
        fields = {"task": t["id"], "percent": step["percent"], "note": step["note"]}
    elif step["do"] == "complete":
        actor, kind = reporter, "complete-task"
        fields = {"task": t["id"], "note": step["note"]}
    elif step["do"] == "deadline":
        actor, kind = head_above(units, tenures, t["unit"], on), "change-deadline"
        fields = {"task": t["id"], "due": step["new_due"], "reason": step["reason"]}
    elif step["do"] == "cancel":
        actor, kind = head_above(units, tenures, t["unit"], on), "cancel-task"
        fields = {"task": t["id"], "reason": step["reason"]}
    else:
        raise SystemExit("unknown step %r of task %s" % (step["do"], t["id"]))
    return (on, 4, request("tasks", label, actor, on, kind, fields))


def commands(doc):
    """Every item as the command services take it: the directory first, the frameworks, then
    plans, tasks, findings and evidence in business-date order, the scores last; then the
    restructuring, and after it the same again for what happens from its effective day. Keys
    are not here: they are each installation's own, and the loader registers one after each
    person."""
    founder = ADMINISTRATOR
    out, later = [], []

    def place(on):
        """The part an item dated `on` goes in: before the restructuring or after it."""
        return out if on is None or on < RESTRUCTURED_ON else later
    for p in doc["people"]:
        out.append(request("directory", "person:" + p["id"], founder, None, "register-person",
                           {"person": p["id"], "name": p["name"], "title": p["title"]}))
    for u in doc["units"]:
        out.append(request("directory", "unit:" + u["id"], founder, None, "add-unit",
                           {"unit": u["id"], "name": u["name"], "kind": u["kind"],
                            "parent": u["parent"]}))
    for t in doc["tenures"]:
        place(t["from"]).append(request(
            "directory", "appoint:" + t["id"], founder, t["from"], "appoint-leader",
            {"tenure": t["id"], "unit": t["unit"], "person": t["person"], "role": t["role"],
             "from": t["from"]}))
        if t["to"] is not None:
            place(t["to"]).append(request("directory", "end:" + t["id"], founder, t["to"],
                                          "end-tenure", {"tenure": t["id"], "to": t["to"]}))
    for r in doc["retitles"]:
        place(r["from"]).append(request("directory", "retitle:%s:%s" % (r["person"], r["from"]), founder,
                                        r["from"], "retitle-person",
                                        {"person": r["person"], "title": r["title"], "from": r["from"]}))
    for g in doc["grants"]:
        label = "grant:%s:%s:%s" % (g["person"], g["access"], g["unit"])
        place(g["from"]).append(request("directory", label, founder, None, "grant-access",
                           {"person": g["person"], "access": g["access"], "unit": g["unit"],
                            "from": g["from"]}))
    for f in doc["frameworks"]:
        label = "framework:%d:%s" % (f["year"], f["unit_kind"])
        out.append(request("scoring", label, founder, None, "publish-framework",
                           {"year": f["year"], "unit_kind": f["unit_kind"], "source": f["source"],
                            "criteria": f["criteria"]}))
    units = {u["id"]: u for u in doc["units"]}
    tenures = doc["tenures"]
    dated = []
    for p in doc["plans"]:
        dated.append((p["on"], 0, request(
            "tasks", "plan:" + p["id"], p["by"], p["on"], "issue-plan",
            {"plan": p["id"], "unit": p["unit"], "year": p["year"],
             "document_number": p["document_number"], "title": p["title"]})))
    for t in doc["tasks"]:
        dated.append((t["assigned_on"], 1, request(
            "tasks", "assign:" + t["id"], t["assigned_by"], t["assigned_on"], "assign-task",
            {"task": t["id"], "unit": t["unit"], "person": t["person"], "plan": t["plan"],
             "title": t["title"], "target": t["target"], "due": t["due"],
             "criterion": t["criterion"]})))
        for n, step in enumerate(t["history"]):
            dated.append(task_step(units, tenures, t, n, step))
    for f in doc["findings"]:
        dated.append((f["on"], 2, request(
            "tasks", "finding:" + f["id"], f["by"], f["on"], "record-finding",
            {"finding": f["id"], "unit": f["unit"], "inspection_document": f["inspection_document"],
             "text": f["text"], "remediation_task": f["remediation_task"],
             "remediation_due": f["remediation_due"]})))
    for e in doc["evidence"]:
        dated.append((e["on"], 3, request(
            "evidence", "evidence:" + e["id"], e["by"], e["on"], None,
            {"evidence": e["id"], "unit": e["unit"], "task": e["task"], "criterion": e["criterion"],
             "title": e["title"], "document_number": e["document_number"],
             "document_date": e["document_date"], "media_type": e["media_type"]},
            content=e["content"])))
    # Stable: within a day, plans, then assignments, findings, evidence, then task steps.
    dated.sort(key=lambda d: (d[0], d[1]))
    later_directory, later = later, []
    for on, _, item in dated:
        place(on).append(item)
    later_dated, later = later, []
    for i, sc in enumerate(doc["scores"]):
        label = "score:%d:%s:%d:%s:%s" % (i, sc["unit"], sc["year"], sc["criterion"], sc["stage"])
        place(sc["on"]).append(request(
            "scoring", label, sc["by"], sc["on"], "record-score",
            {"unit": sc["unit"], "year": sc["year"], "criterion": sc["criterion"],
             "stage": sc["stage"], "points": sc["points"], "reason": sc["reason"],
             "evidence": sc["evidence"]}))
    restructure = {"service": "restructure", "label": "restructure:" + RESTRUCTURE_MAP,
                   "map": RESTRUCTURE_MAP}
    return out + [restructure] + later_directory + later_dated + later


def render_commands(items):
    return "".join(line(item) + "\n" for item in items)


def outputs():
    doc = {
        "units": UNITS,
        "people": PEOPLE,
        "tenures": TENURES,
        "grants": GRANTS,
        "retitles": RETITLES,
        "frameworks": FRAMEWORKS,
        "plans": PLANS,
        "tasks": TASKS,
        "findings": FINDINGS,
        "evidence": EVIDENCE,
        "scores": SCORES,
    }
    return {COMMANDS_OUT: render_commands(commands(doc))}


def main():
    files = outputs()
    if sys.argv[1:] == ["--check"]:
        stale = []
        for path, text in files.items():
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(os.path.relpath(path))
        if stale:
            raise SystemExit("%s differs from what generate.py writes: run python3 demo/generate.py"
                             % " and ".join(stale))
        print("commands.jsonl is what generate.py writes", file=sys.stderr)
        return
    if sys.argv[1:]:
        raise SystemExit("usage: python3 demo/generate.py [--check]")
    for path, text in files.items():
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("wrote %s: %d units, %d people, %d tenures, %d frameworks, %d plans, %d tasks, %d findings, %d evidence, %d scores"
          % (os.path.relpath(COMMANDS_OUT), len(UNITS), len(PEOPLE), len(TENURES), len(FRAMEWORKS), len(PLANS),
             len(TASKS), len(FINDINGS), len(EVIDENCE), len(SCORES)), file=sys.stderr)


if __name__ == "__main__":
    main()
