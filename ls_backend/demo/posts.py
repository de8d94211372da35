"""The demo's posts for the post NER task: written for this project (no dataset post), each with the entities
the guidelines ask for, and how many images it shows (rendered from scikit-image's pictures by the demo)."""
from __future__ import annotations

from exports.posts import Entity, Post

#: (id, text, [(entity text, type, occurrence)], number of images)
_POSTS = [
    ("demo-post-1", "王一博今晚在上海梅赛德斯奔驰文化中心的演唱会太燃了！湖南卫视全程直播#王一博#",
     [("王一博", "PER", 0), ("上海", "LOC", 0), ("梅赛德斯奔驰文化中心", "LOC", 0), ("湖南卫视", "ORG", 0)], 2),
    ("demo-post-2", "刚到成都春熙路，排队两小时终于买到新款iPhone，小米之家也好多人",
     [("成都", "LOC", 0), ("春熙路", "LOC", 0), ("iPhone", "MISC", 0), ("小米之家", "ORG", 0)], 1),
    ("demo-post-3", "易烊千玺新电影《满江红》票房破三十亿，北京电影学院的老师都来点赞了",
     [("易烊千玺", "PER", 0), ("满江红", "MISC", 0), ("北京电影学院", "ORG", 0)], 3),
    ("demo-post-4", "中国女排3比0拿下比赛！朱婷赛后说要感谢球迷，下一站去杭州",
     [("中国女排", "ORG", 0), ("朱婷", "PER", 0), ("杭州", "LOC", 0)], 2),
    ("demo-post-5", "我妈说今天楼下的小王又来借酱油了哈哈哈", [], 1),
    ("demo-post-6", "周末去西湖边喝了杯星巴克，遇到了好多拍照的小姐姐#杭州旅行#",
     [("西湖", "LOC", 0), ("星巴克", "ORG", 0), ("杭州", "LOC", 0)], 2),
]


def demo_posts() -> list[Post]:
    """The demo posts with their entities (images are added by the demo)."""
    out = []
    for pid, text, entities, _ in _POSTS:
        found = []
        for mention, kind, occurrence in entities:
            start = -1
            for _ in range(occurrence + 1):
                start = text.index(mention, start + 1)
            found.append(Entity(start, start + len(mention), kind))
        out.append(Post(pid, tuple(text), tuple(found)))
    return out


def image_counts() -> dict[str, int]:
    return {pid: n for pid, _, _, n in _POSTS}
