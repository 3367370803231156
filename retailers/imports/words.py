"""The ordering system's words for the retailer and brand choices."""

from retailers.models import Environment, MarketType, PriceClass, RetailerStatus, RetailFormat

# The input vocabulary of the ordering system (not shown in the interface): code → names.
MARKET_TYPE_WORDS = {MarketType.TOWN: ["城镇"], MarketType.RURAL: ["乡村", "农村"]}
RETAIL_FORMAT_WORDS = {
    RetailFormat.GROCERY: ["食杂店"],
    RetailFormat.CONVENIENCE: ["便利店"],
    RetailFormat.SUPERMARKET: ["超市"],
    RetailFormat.MALL: ["商场"],
    RetailFormat.TOBACCO_LIQUOR: ["烟酒商店", "烟酒店"],
    RetailFormat.ENTERTAINMENT: ["娱乐服务类", "娱乐服务"],
    RetailFormat.OTHER: ["其他"],
}
ENVIRONMENT_WORDS = {
    Environment.BUSINESS_CENTER: ["商业中心"],
    Environment.TRANSPORT_HUB: ["交通枢纽"],
    Environment.RESIDENTIAL: ["居民区"],
    Environment.SCHOOL_HOSPITAL: ["学校医院周边"],
    Environment.URBAN_FRINGE: ["城乡结合部"],
    Environment.RURAL_TOWN: ["乡村集镇"],
    Environment.REMOTE_RURAL: ["偏远乡村"],
}
STATUS_WORDS = {
    RetailerStatus.ACTIVE: ["正常"],
    RetailerStatus.SUSPENDED: ["暂停"],
    RetailerStatus.CANCELLED: ["注销"],
}
PRICE_CLASS_WORDS = {
    PriceClass.ONE: ["一类", "1类"],
    PriceClass.TWO: ["二类", "2类"],
    PriceClass.THREE: ["三类", "3类"],
    PriceClass.FOUR: ["四类", "4类"],
    PriceClass.FIVE: ["五类", "5类"],
}
