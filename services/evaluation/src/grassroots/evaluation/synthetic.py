"""A synthetic county month: five planted recurring problems among one-off matters (for the
topic tests and the bench; no real data)."""

from __future__ import annotations

import random

PLANTED = {
    "streetlight": (
        "S03",
        [
            "村东头的路灯坏了，晚上一片漆黑，出门很不安全",
            "路灯不亮好几天了，晚上走路看不见",
            "主街路灯夜里不亮，老人晚上摔倒了",
            "我们屯的路灯坏了没人修，晚上孩子放学不安全",
            "路灯一到晚上就不亮，希望尽快维修路灯",
        ],
    ),
    "water": (
        "S07",
        [
            "自来水停水两天了，做饭都没有水",
            "家里自来水又停水了，水压也很低",
            "自来水停水没有通知，老人吃水困难",
            "这几天自来水经常停水，水龙头没水",
            "小区自来水停水一整天，供水什么时候恢复",
        ],
    ),
    "garbage": (
        "S05",
        [
            "垃圾箱满了没人清运，臭味很大",
            "村口垃圾堆积一个星期没有清运，苍蝇很多",
            "垃圾清运不及时，垃圾箱周围全是垃圾",
            "垃圾点的垃圾好几天没清运，夏天气味难闻",
            "路边垃圾没人清运，垃圾箱都溢出来了",
        ],
    ),
    "flooding": (
        "S02",
        [
            "下雨后道路积水严重，车辆无法通行",
            "村道一下雨就积水，排水沟堵塞",
            "路面积水很深，排水不畅，孩子上学蹚水",
            "雨后道路积水好几天不退，排水沟需要疏通",
            "主路积水排水沟堵了，电动车进不去",
        ],
    ),
    "square_dance": (
        "S09",
        [
            "广场舞音响噪音太大，晚上休息不好",
            "每天晚上广场舞噪音扰民，音响声音特别大",
            "广场舞音响开到很晚，噪音影响孩子学习",
            "小区广场舞噪音严重，老人睡不着觉",
            "广场舞的音响噪音从早到晚，希望管一管",
        ],
    ),
}
# Noise: one-off matters, an object and what is wrong with it, each pair rarely twice.
NOISE_OBJECTS = [
    "低保",
    "医保",
    "账目",
    "养老金",
    "宅基地",
    "承包地",
    "户口",
    "邻居",
    "房屋",
    "补贴",
    "危房",
    "残疾证",
    "工资",
    "快递",
    "物业",
    "电梯",
    "燃气",
    "暖气",
    "网络",
    "公交",
    "校车",
    "幼儿园",
    "学籍",
    "培训",
    "贷款",
    "农机",
    "秸秆",
    "化肥",
    "种子",
    "家禽",
    "生猪",
    "鱼塘",
    "林地",
    "耕地",
    "征地",
    "拆迁",
    "违建",
    "摊位",
    "流浪狗",
    "野猪",
    "井盖",
    "桥梁",
    "河道",
    "山坡",
    "煤炭",
    "电费",
    "电压",
    "变压器",
    "诈骗",
    "医院",
    "药店",
    "疫苗",
    "体检",
    "食堂",
    "照料",
    "优待",
    "婚姻",
    "出生证",
    "身份证",
    "社保卡",
    "公积金",
    "房产证",
    "年检",
    "驾驶证",
    "摩托车",
    "停车",
    "出租车",
    "单车",
    "外卖",
    "油烟",
    "菜市场",
    "农药",
    "彩礼",
    "祖坟",
    "水渠",
    "大棚",
    "果园",
    "合作社",
    "村务",
]
NOISE_ISSUES = [
    "报销",
    "拖欠",
    "丢失",
    "损坏",
    "收费",
    "纠纷",
    "延误",
    "审批",
    "迁移",
    "变更",
    "咨询",
    "办理",
    "登记",
    "补办",
    "核实",
    "退费",
    "赔偿",
    "发放",
    "认定",
    "公示",
    "评估",
    "鉴定",
    "维权",
    "举报",
    "过户",
    "续保",
    "注销",
    "冻结",
    "调解",
    "查询",
]
FILLERS = ["希望尽快解决", "请相关部门处理", "麻烦帮忙", "已经反映多次", "谢谢", "请给个答复", ""]
SERVICES = [f"S{i:02d}" for i in range(1, 13)]
VILLAGES = [f"230321{t}{v}" for t in ("100", "101", "102", "103") for v in range(201, 211)]


def synthetic_month(
    total: int = 2000,
    planted_each: tuple[int, ...] = (70, 60, 80, 50, 40),
    seed: int = 15,
    prefix: str = "req",
) -> list[tuple[str, str, str, str, str]]:
    """(request_id, truth, service_code, village, description); truth names the planted
    problem, or is `noise`."""
    rng = random.Random(seed)
    out = []
    for (name, (service, phrases)), count in zip(PLANTED.items(), planted_each, strict=True):
        villages = rng.sample(VILLAGES, 12)
        for _ in range(count):
            text = rng.choice(phrases)
            code = service if rng.random() < 0.85 else rng.choice(SERVICES)
            out.append((name, code, rng.choice(villages), text))
    while len(out) < total:
        text = f"{rng.choice(NOISE_OBJECTS)}{rng.choice(NOISE_ISSUES)}，{rng.choice(FILLERS)}"
        out.append(("noise", rng.choice(SERVICES), rng.choice(VILLAGES), text))
    rng.shuffle(out)
    return [
        (f"{prefix}-{i:05d}", truth, code, village, text)
        for i, (truth, code, village, text) in enumerate(out)
    ]
