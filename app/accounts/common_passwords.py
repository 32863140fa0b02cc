"""Passwords and password parts that Chinese users choose most, for the strength estimator
(app/accounts/password_strength.py): zxcvbn's own lists are English, so it does not know that ``woaini1314`` or
``zhangwei`` are as guessable as ``iloveyou`` or ``john``.

Drawn from the published analyses of the large Chinese leaks (CSDN, 天涯, 12306, 多玩) and the default
passwords of Chinese devices and government systems: pinyin words and names, the love numbers (520, 1314,
5201314, 7758521), QQ/phone-style digit runs, and keyboard walks of the Chinese keyboard habit. Each entry is
matched anywhere inside a password, in lower case, with l33t substitutions (``p@ssw0rd``), reversed, and
combined with digits and years, so the list need hold only the stems.
"""
from __future__ import annotations

COMMON_CHINESE_PASSWORDS: tuple[str, ...] = (
    # Love numbers and digit runs.
    "5201314", "1314520", "520520", "1314", "7758521", "7758258", "521521", "147258369", "159357", "147258",
    "123456", "123456789", "1234567890", "111111", "000000", "888888", "666666", "168168", "112233", "123123",
    "654321", "987654321", "110110", "12345678", "123321", "100200", "qq123456", "qq5201314",
    # Letters plus digits, and keyboard walks.
    "aa123456", "a123456", "a123456789", "abc123456", "abc123", "abcd1234", "a1b2c3d4", "a1b2c3", "aaa111",
    "1qaz2wsx", "1qaz2wsx3edc", "1q2w3e4r", "1q2w3e4r5t", "qwe123", "123qwe", "qweasd", "qweasdzxc", "asd123",
    "zxc123", "qwer1234", "asdf1234", "zxcv1234", "zxcvbnm", "asdfghjkl", "qwertyuiop", "qazwsx", "qazwsxedc",
    "1qaz", "2wsx", "3edc", "!qaz", "@wsx",
    # Pinyin phrases.
    "woaini", "woaini1314", "woaini520", "woainimen", "woaiwojia", "woaiwoma", "aini1314", "aini520", "woshishui",
    "wodemima", "mima", "mimamima", "nihao", "nihaoma", "zaijian", "xiexie", "tiancai", "laogong", "laopo",
    "baobao", "xiaobao", "beibei", "xiaoxiao", "kuaile", "xingfu", "pingan", "fuqi", "aiqing", "yongyuan",
    "xiaoming", "xiaohong", "xiaolong", "long", "feilong", "tianshi", "shengri", "woaini1314520", "iloveyou",
    "wangyi", "xinlang", "tengxun", "baidu", "taobao", "weixin", "zhifubao",
    # The commonest full names and surnames in pinyin.
    "zhangwei", "wangwei", "wangfang", "liwei", "lijing", "wangjing", "liuyang", "zhangmin", "lina", "zhangli",
    "wangli", "wangqiang", "zhangjing", "lijun", "liqiang", "zhanglei", "lixiuying", "zhangyong", "wangyan",
    "liyan", "wanglei", "zhangjie", "liping", "wangtao", "chenjing", "liujie", "liuwei", "zhangyan", "wangxiuying",
    "lili", "wangjun", "zhangtao", "chenwei", "liming", "wangming", "zhanghua", "wang", "zhang", "chen", "zhao",
    "huang", "zhou", "liu", "yang", "sun",
    # Places and words of the office.
    "zhongguo", "china", "beijing", "shanghai", "guangzhou", "shenzhen", "tianjin", "chongqing", "wuhan",
    "zhengfu", "zhengwu", "renmin", "dangyuan", "gongzuo", "bangong", "danwei", "gongsi", "yonghu", "guanli",
    "guanliyuan", "xitong", "ceshi", "jiance", "pingjia", "manyidu", "kaohe", "tousu", "jubao", "gov",
    # Defaults of devices and systems.
    "admin", "admin123", "admin888", "admin@123", "administrator", "root", "root123", "huawei", "huawei123",
    "huawei@123", "sangfor", "h3c", "zte", "ruijie", "hikvision", "dahua", "changeme", "welcome", "test",
    "test123", "password", "passw0rd", "p@ssw0rd", "qwerty", "system", "manager", "default", "guest", "super",
)
