"""The national high-tech zones (国家高新技术产业开发区) the generator creates,
in a fixed order (by province, then as the official lists give them).

Each row: (code, name, short name, province, city). ``code`` is a short
pinyin slug, unique; names follow the demo's style (贵阳高新区), so the five
seed zones carry the same code and name here as in ``shiji/demo/zones.py``.
Names, provinces and cities are real; nothing else about a generated zone is.
"""

from __future__ import annotations

from typing import NamedTuple


class ZoneRow(NamedTuple):
    code: str
    name: str
    short_name: str
    province: str
    city: str


_ROWS = """
zhongguancun 中关村科技园区 中关村 北京 北京
tianjin 天津滨海高新区 天津滨海 天津 天津
shijiazhuang 石家庄高新区 石家庄 河北 石家庄
baoding 保定高新区 保定 河北 保定
tangshan 唐山高新区 唐山 河北 唐山
yanjiao 燕郊高新区 燕郊 河北 廊坊
chengde 承德高新区 承德 河北 承德
xiongan 河北雄安高新区 雄安 河北 雄安新区
taiyuan 太原高新区 太原 山西 太原
changzhi 长治高新区 长治 山西 长治
baotou 包头稀土高新区 包头 内蒙古 包头
huhehaote 呼和浩特金山高新区 呼和浩特 内蒙古 呼和浩特
eerduosi 鄂尔多斯高新区 鄂尔多斯 内蒙古 鄂尔多斯
shenyang 沈阳高新区 沈阳 辽宁 沈阳
dalian 大连高新区 大连 辽宁 大连
anshan 鞍山高新区 鞍山 辽宁 鞍山
yingkou 营口高新区 营口 辽宁 营口
liaoyang 辽阳高新区 辽阳 辽宁 辽阳
benxi 本溪高新区 本溪 辽宁 本溪
jinzhou 锦州高新区 锦州 辽宁 锦州
fuxin 阜新高新区 阜新 辽宁 阜新
changchun 长春高新区 长春 吉林 长春
jingyue 长春净月高新区 净月 吉林 长春
jilin 吉林高新区 吉林 吉林 吉林
yanji 延吉高新区 延吉 吉林 延边
tonghua 通化医药高新区 通化 吉林 通化
haerbin 哈尔滨高新区 哈尔滨 黑龙江 哈尔滨
daqing 大庆高新区 大庆 黑龙江 大庆
qiqihaer 齐齐哈尔高新区 齐齐哈尔 黑龙江 齐齐哈尔
zhangjiang 上海张江高新区 张江 上海 上海
zizhu 上海紫竹高新区 紫竹 上海 上海
nanjing 南京高新区 南京 江苏 南京
suzhou 苏州高新区 苏州 江苏 苏州
kunshan 昆山高新区 昆山 江苏 苏州
wuxi 无锡高新区 无锡 江苏 无锡
jiangyin 江阴高新区 江阴 江苏 无锡
changzhou 常州高新区 常州 江苏 常州
wujin 武进高新区 武进 江苏 常州
taizhou 泰州医药高新区 泰州 江苏 泰州
xuzhou 徐州高新区 徐州 江苏 徐州
suzhougyy 苏州工业园区 苏州工业园 江苏 苏州
nantong 南通高新区 南通 江苏 南通
zhenjiang 镇江高新区 镇江 江苏 镇江
yancheng 盐城高新区 盐城 江苏 盐城
lianyungang 连云港高新区 连云港 江苏 连云港
yangzhou 扬州高新区 扬州 江苏 扬州
changshu 常熟高新区 常熟 江苏 苏州
suqian 宿迁高新区 宿迁 江苏 宿迁
huaian 淮安高新区 淮安 江苏 淮安
hangzhou 杭州高新区 杭州 浙江 杭州
linjiang 萧山临江高新区 萧山临江 浙江 杭州
ningbo 宁波高新区 宁波 浙江 宁波
shaoxing 绍兴高新区 绍兴 浙江 绍兴
wenzhou 温州高新区 温州 浙江 温州
quzhou 衢州高新区 衢州 浙江 衢州
moganshan 湖州莫干山高新区 莫干山 浙江 湖州
jiaxing 嘉兴高新区 嘉兴 浙江 嘉兴
hefei 合肥高新区 合肥 安徽 合肥
bengbu 蚌埠高新区 蚌埠 安徽 蚌埠
wuhu 芜湖高新区 芜湖 安徽 芜湖
cihu 马鞍山慈湖高新区 慈湖 安徽 马鞍山
shizishan 铜陵狮子山高新区 狮子山 安徽 铜陵
huainan 淮南高新区 淮南 安徽 淮南
chuzhou 滁州高新区 滁州 安徽 滁州
fuzhou 福州高新区 福州 福建 福州
xiamen 厦门火炬高新区 厦门 福建 厦门
quanzhou 泉州高新区 泉州 福建 泉州
putian 莆田高新区 莆田 福建 莆田
zhangzhou 漳州高新区 漳州 福建 漳州
sanming 三明高新区 三明 福建 三明
longyan 龙岩高新区 龙岩 福建 龙岩
nanchang 南昌高新区 南昌 江西 南昌
xinyu 新余高新区 新余 江西 新余
jingdezhen 景德镇高新区 景德镇 江西 景德镇
yingtan 鹰潭高新区 鹰潭 江西 鹰潭
fuzhoujx 抚州高新区 抚州 江西 抚州
jian 吉安高新区 吉安 江西 吉安
ganzhou 赣州高新区 赣州 江西 赣州
gongqingcheng 九江共青城高新区 共青城 江西 九江
fengcheng 宜春丰城高新区 丰城 江西 宜春
jinan 济南高新区 济南 山东 济南
weihai 威海火炬高新区 威海 山东 威海
qingdao 青岛高新区 青岛 山东 青岛
weifang 潍坊高新区 潍坊 山东 潍坊
zibo 淄博高新区 淄博 山东 淄博
jining 济宁高新区 济宁 山东 济宁
yantai 烟台高新区 烟台 山东 烟台
linyi 临沂高新区 临沂 山东 临沂
taian 泰安高新区 泰安 山东 泰安
zaozhuang 枣庄高新区 枣庄 山东 枣庄
dezhou 德州高新区 德州 山东 德州
laiwu 莱芜高新区 莱芜 山东 济南
huangsanjiao 黄河三角洲农业高新区 黄河三角洲 山东 东营
zhengzhou 郑州高新区 郑州 河南 郑州
luoyang 洛阳高新区 洛阳 河南 洛阳
anyang 安阳高新区 安阳 河南 安阳
nanyang 南阳高新区 南阳 河南 南阳
xinxiang 新乡高新区 新乡 河南 新乡
pingdingshan 平顶山高新区 平顶山 河南 平顶山
jiaozuo 焦作高新区 焦作 河南 焦作
xinyang 信阳高新区 信阳 河南 信阳
donghu 武汉东湖高新区 东湖 湖北 武汉
xiangyang 襄阳高新区 襄阳 湖北 襄阳
yichang 宜昌高新区 宜昌 湖北 宜昌
xiaogan 孝感高新区 孝感 湖北 孝感
jingmen 荆门高新区 荆门 湖北 荆门
xiantao 仙桃高新区 仙桃 湖北 仙桃
suizhou 随州高新区 随州 湖北 随州
huanggang 黄冈高新区 黄冈 湖北 黄冈
xianning 咸宁高新区 咸宁 湖北 咸宁
jingzhou 荆州高新区 荆州 湖北 荆州
dayehu 黄石大冶湖高新区 大冶湖 湖北 黄石
qianjiang 潜江高新区 潜江 湖北 潜江
changsha 长沙高新区 长沙 湖南 长沙
zhuzhou 株洲高新区 株洲 湖南 株洲
xiangtan 湘潭高新区 湘潭 湖南 湘潭
yiyang 益阳高新区 益阳 湖南 益阳
hengyang 衡阳高新区 衡阳 湖南 衡阳
chenzhou 郴州高新区 郴州 湖南 郴州
changde 常德高新区 常德 湖南 常德
huaihua 怀化高新区 怀化 湖南 怀化
guangzhou 广州高新区 广州 广东 广州
shenzhen 深圳高新区 深圳 广东 深圳
zhongshan 中山火炬高新区 中山 广东 中山
foshan 佛山高新区 佛山 广东 佛山
zhongkai 惠州仲恺高新区 仲恺 广东 惠州
zhuhai 珠海高新区 珠海 广东 珠海
songshanhu 东莞松山湖高新区 松山湖 广东 东莞
zhaoqing 肇庆高新区 肇庆 广东 肇庆
jiangmen 江门高新区 江门 广东 江门
yuancheng 源城高新区 源城 广东 河源
qingyuan 清远高新区 清远 广东 清远
shantou 汕头高新区 汕头 广东 汕头
zhanjiang 湛江高新区 湛江 广东 湛江
maoming 茂名高新区 茂名 广东 茂名
nanning 南宁高新区 南宁 广西 南宁
guilin 桂林高新区 桂林 广西 桂林
liuzhou 柳州高新区 柳州 广西 柳州
beihai 北海高新区 北海 广西 北海
haikou 海口高新区 海口 海南 海口
chongqing 重庆高新区 重庆 重庆 重庆
bishan 璧山高新区 璧山 重庆 重庆
rongchang 荣昌高新区 荣昌 重庆 重庆
yongchuan 永川高新区 永川 重庆 重庆
chengdu 成都高新区 成都 四川 成都
mianyang 绵阳高新区 绵阳 四川 绵阳
zigong 自贡高新区 自贡 四川 自贡
neijiang 内江高新区 内江 四川 内江
leshan 乐山高新区 乐山 四川 乐山
luzhou 泸州高新区 泸州 四川 泸州
panzhihua 攀枝花钒钛高新区 攀枝花 四川 攀枝花
deyang 德阳高新区 德阳 四川 德阳
guiyang 贵阳高新区 贵阳 贵州 贵阳
anshun 安顺高新区 安顺 贵州 安顺
zunyi 遵义高新区 遵义 贵州 遵义
kunming 昆明高新区 昆明 云南 昆明
yuxi 玉溪高新区 玉溪 云南 玉溪
chuxiong 楚雄高新区 楚雄 云南 楚雄
xian 西安高新区 西安 陕西 西安
baoji 宝鸡高新区 宝鸡 陕西 宝鸡
yangling 杨凌农业高新技术产业示范区 杨凌 陕西 咸阳
weinan 渭南高新区 渭南 陕西 渭南
yulin 榆林高新区 榆林 陕西 榆林
xianyang 咸阳高新区 咸阳 陕西 咸阳
ankang 安康高新区 安康 陕西 安康
lanzhou 兰州高新区 兰州 甘肃 兰州
baiyin 白银高新区 白银 甘肃 白银
qinghai 青海高新区 青海 青海 西宁
yinchuan 银川高新区 银川 宁夏 银川
shizuishan 石嘴山高新区 石嘴山 宁夏 石嘴山
wulumuqi 乌鲁木齐高新区 乌鲁木齐 新疆 乌鲁木齐
changji 昌吉高新区 昌吉 新疆 昌吉
shihezi 石河子高新区 石河子 新疆 石河子
kelamayi 克拉玛依高新区 克拉玛依 新疆 克拉玛依
"""

ZONES: tuple[ZoneRow, ...] = tuple(ZoneRow(*line.split()) for line in _ROWS.strip().splitlines())
