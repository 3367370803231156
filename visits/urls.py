from .views import feedback, plans, rates, visits

app_name = "visits"

urlpatterns = plans.urlpatterns + visits.urlpatterns + feedback.urlpatterns + rates.urlpatterns
