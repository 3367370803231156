"""factory_boy factories. They create rows through the services, as the product does."""

from datetime import date
from decimal import Decimal

import factory

from accounts import services
from accounts.models import OrgKind, OrgUnit, Role, Territory, User
from retailers import services as retailer_services
from retailers.models import (
    Brand,
    Environment,
    MarketType,
    OrderLine,
    Retailer,
    RetailerStatus,
    RetailFormat,
)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    code = factory.Sequence(lambda n: f"U{n:05d}")
    kind = OrgKind.COMPANY
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.org_unit_create(**kwargs)


class CompanyFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"第{n}市烟草公司")


class CenterFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"第{n}营销部")
    kind = OrgKind.MARKETING_CENTER
    parent = factory.SubFactory(CompanyFactory)


class DepartmentFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"第{n}客户服务部")
    kind = OrgKind.SERVICE_DEPARTMENT
    parent = factory.SubFactory(CenterFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    employee_no = factory.Sequence(lambda n: f"{200000 + n}")
    name = factory.Faker("name", locale="zh_CN")
    role = Role.CUSTOMER_MANAGER
    org_unit = factory.SubFactory(DepartmentFactory)
    password = "pass-word-123"
    phone = ""
    hire_date = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.user_create(**kwargs)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"片区{n}")
    department = factory.SubFactory(DepartmentFactory)
    manager = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.territory_create(**kwargs)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"69{n:011d}")
    name = factory.Sequence(lambda n: f"测试牌{n}")
    manufacturer = "测试中烟工业有限责任公司"
    price_class = 3
    wholesale_price = Decimal("120.00")
    launch_date = None


class RetailerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Retailer

    license_no = factory.Sequence(lambda n: f"3201{n:08d}")
    shop_name = factory.Sequence(lambda n: f"便民超市{n}")
    owner_name = factory.Faker("name", locale="zh_CN")
    phone = ""
    address = factory.Sequence(lambda n: f"东江市测试路{n}号")
    latitude = Decimal("31.950000")
    longitude = Decimal("118.850000")
    market_type = MarketType.TOWN
    retail_format = RetailFormat.GROCERY
    environment = Environment.RESIDENTIAL
    potential = None
    status = RetailerStatus.ACTIVE
    territory = factory.SubFactory(TerritoryFactory)

    @classmethod
    def _create(cls, model_class, *args, on=None, **kwargs):
        return retailer_services.retailer_create(on=on or date(2020, 1, 1), **kwargs)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    retailer = factory.SubFactory(RetailerFactory)
    brand = factory.SubFactory(BrandFactory)
    order_date = date(2026, 10, 15)
    quantity = 10
    amount = factory.LazyAttribute(lambda o: o.brand.wholesale_price * o.quantity)
    source_order_no = factory.Sequence(lambda n: f"DD{n:010d}")
    settled_on_time = True
